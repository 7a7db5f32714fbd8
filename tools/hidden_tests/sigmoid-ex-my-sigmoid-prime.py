def test_float32_extremes_and_shape(my_sigmoid_prime):
    """sigma' at +-1e4 in float32 (exactly 0, no warning) and on a 3-D float64 array."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("sigmoid-ex-my-sigmoid-prime")
    z32 = np.array([-1e4, -20.0, 0.0, 20.0, 1e4], dtype=np.float32)
    z64 = np.random.default_rng(5).normal(0.0, 25.0, size=(3, 2, 2))
    for z in (z32, z64):
        with own_work("sigmoid-ex-my-sigmoid-prime", my_sigmoid_prime), \
                np.errstate(all="raise", under="ignore"):
            got = np.asarray(my_sigmoid_prime(z.copy()))
        e = np.exp(-np.abs(z.astype(np.float64)))
        want = e / (1.0 + e) ** 2
        assert got.shape == z.shape and got.dtype == z.dtype, (
            f"A {z.dtype} input of shape {z.shape} gave {got.dtype} {got.shape}.\nHint: {h}")
        eps = np.finfo(z.dtype)
        ok = np.abs(got - want) <= 8 * float(eps.eps) * want + float(eps.tiny)
        assert ok.all(), (f"Wrong sigma'(z) at z = {float(z[~ok].ravel()[0]):g} ({z.dtype}): "
                          f"expected {want[~ok].ravel()[0]:.7g}, got {float(got[~ok].ravel()[0]):.7g}."
                          f"\nHint: {h}")
