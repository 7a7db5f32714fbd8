def test_float32_extremes(my_sigmoid):
    """The sigmoid at +-1e4 and at the edge of float32's range, in float32."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    z = np.array([-1e4, -88.7, -50.0, 0.0, 50.0, 88.7, 1e4], dtype=np.float32)
    with own_work("sigmoid-ex-my-sigmoid", my_sigmoid), np.errstate(all="raise", under="ignore"):
        got = np.asarray(my_sigmoid(z.copy()))
    e = np.exp(-np.abs(z.astype(np.float64)))
    want = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    assert got.shape == z.shape and got.dtype == np.float32, (
        f"For z = {z.tolist()} in float32 expected a float32 array of shape {z.shape}, got "
        f"{got.dtype} {got.shape}.\nHint: {hint('sigmoid-ex-my-sigmoid')}")
    ok = np.abs(got - want) <= 8 * np.finfo(np.float32).eps * want + np.finfo(np.float32).tiny
    assert ok.all(), (f"Wrong sigma(z) at z = {float(z[~ok][0]):g} (float32): expected "
                      f"{want[~ok][0]:.7g}, got {float(got[~ok][0]):.7g}.\n"
                      f"Hint: {hint('sigmoid-ex-my-sigmoid')}")


def test_any_shape(my_sigmoid):
    """A 3-D array and a 0-D array keep their shapes; the input is left alone."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(77)
    for z in (rng.normal(0.0, 30.0, size=(2, 3, 4)), np.array(-3.0)):
        before = z.copy()
        with own_work("sigmoid-ex-my-sigmoid", my_sigmoid), np.errstate(all="raise", under="ignore"):
            got = np.asarray(my_sigmoid(z))
        e = np.exp(-np.abs(z))
        want = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        assert got.shape == z.shape, (f"An input of shape {z.shape} gave shape {got.shape}; the "
                                      f"sigmoid is elementwise.\nHint: {hint('sigmoid-ex-my-sigmoid')}")
        assert np.allclose(got, want, rtol=1e-14, atol=1e-300), (
            f"Wrong values for an input of shape {z.shape}.\nHint: {hint('sigmoid-ex-my-sigmoid')}")
        assert np.array_equal(z, before), ("Your function changed its input in place.\n"
                                           f"Hint: {hint('sigmoid-ex-my-sigmoid')}")
