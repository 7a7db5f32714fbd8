def test_one_sample_and_a_big_batch(my_relu_backward):
    """A single row (1, 3) and a batch (64, 32), the book's hidden-layer shape."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(21)
    for shape in [(1, 3), (64, 32)]:
        z = rng.normal(size=shape)
        da = rng.normal(size=shape)
        with own_work("beyond-ex-relu-backward", my_relu_backward):
            got = np.asarray(my_relu_backward(da.copy(), np.maximum(z, 0.0)))
        assert got.shape == shape and np.array_equal(got, da * (z > 0)), (
            f"For da and a of shape {shape}, dz must be da where a > 0 and 0 elsewhere."
            f"\nHint: {hint('beyond-ex-relu-backward')}")


def test_inputs_left_unchanged_and_all_inactive(my_relu_backward):
    """A layer whose units are all off gives a zero gradient; da and a are not modified."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(22)
    da, a = rng.normal(size=(5, 4)), np.zeros((5, 4))
    da0 = da.copy()
    with own_work("beyond-ex-relu-backward", my_relu_backward):
        got = np.asarray(my_relu_backward(da, a))
    assert np.array_equal(da, da0), (f"Your function changed da in place; return a new array."
                                     f"\nHint: {hint('beyond-ex-relu-backward')}")
    assert got.shape == (5, 4) and not np.any(got), (
        "With every unit inactive (a = 0 everywhere) no gradient passes: dz must be all zeros."
        f"\nHint: {hint('beyond-ex-relu-backward')}")
