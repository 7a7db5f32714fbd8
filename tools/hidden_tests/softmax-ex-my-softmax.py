def test_one_row(my_softmax):
    """A batch with one row, (1, C), and one with a single class, (N, 1)."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("softmax-ex-my-softmax")
    for z in (np.array([[3.0, -1.0, 1e4, 0.5]]), np.array([[2.0], [-7.0], [1e4]])):
        with own_work("softmax-ex-my-softmax", my_softmax), np.errstate(all="raise", under="ignore"):
            p = np.asarray(my_softmax(z.copy()))
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        want = e / e.sum(axis=-1, keepdims=True)
        assert p.shape == z.shape, f"A batch of shape {z.shape} gave shape {p.shape}.\nHint: {h}"
        assert np.allclose(p, want, rtol=1e-12, atol=1e-300), (
            f"Wrong probabilities for a batch of shape {z.shape}: expected {want.tolist()}, got "
            f"{p.tolist()}.\nHint: {h}")


def test_large_batch_mixed_scales(my_softmax):
    """200 rows whose scales differ by up to 1e4, each row its own maximum."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(31)
    z = rng.normal(size=(200, 10)) * 10.0 ** rng.integers(-2, 5, size=(200, 1))
    with own_work("softmax-ex-my-softmax", my_softmax), np.errstate(all="raise", under="ignore"):
        p = np.asarray(my_softmax(z.copy()))
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    want = e / e.sum(axis=-1, keepdims=True)
    assert p.shape == z.shape and np.allclose(p, want, rtol=1e-12, atol=1e-300), (
        "Wrong probabilities for a batch of 200 rows of very different scales (up to 1e4)."
        f"\nHint: {hint('softmax-ex-my-softmax')}")
