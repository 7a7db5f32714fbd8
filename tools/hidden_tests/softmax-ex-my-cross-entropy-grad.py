def test_one_row_and_square(my_cross_entropy_grad):
    """A batch of one (1, C) and a square batch N = C, where a transpose still has the right shape."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("softmax-ex-my-cross-entropy-grad")
    rng = np.random.default_rng(8)
    for logits, y in ((np.array([[0.5, -1.0, 1e4]]), np.array([0])),
                      (rng.normal(0.0, 3.0, size=(4, 4)), np.array([3, 0, 0, 2]))):
        with own_work("softmax-ex-my-cross-entropy-grad", my_cross_entropy_grad), \
                np.errstate(all="raise", under="ignore"):
            g = np.asarray(my_cross_entropy_grad(logits.copy(), y.copy()))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        want = e / e.sum(axis=1, keepdims=True)
        want[np.arange(len(y)), y] -= 1.0
        want /= len(y)
        assert g.shape == logits.shape and np.allclose(g, want, rtol=1e-9, atol=1e-15), (
            f"Wrong gradient for logits of shape {logits.shape}, y = {y.tolist()}: expected "
            f"{np.round(want, 6).tolist()}, got {np.round(g, 6).tolist()}.\nHint: {h}")
