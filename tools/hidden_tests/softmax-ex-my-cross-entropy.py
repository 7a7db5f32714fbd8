def test_one_sample_and_large_logits(my_cross_entropy):
    """A batch of one, and logits of +-1e4 on a batch of 64 (the mean, from the logits)."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("softmax-ex-my-cross-entropy")
    rng = np.random.default_rng(12)
    big = rng.normal(size=(64, 10)) * 1e4
    for logits, y in ((np.array([[1.0, 2.0, 3.0]]), np.array([1])),
                      (big, rng.integers(0, 10, size=64))):
        with own_work("softmax-ex-my-cross-entropy", my_cross_entropy), \
                np.errstate(all="raise", under="ignore"):
            loss = my_cross_entropy(logits.copy(), y.copy())
        m = logits.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
        want = float(np.mean(lse - logits[np.arange(len(y)), y]))
        assert np.ndim(loss) == 0 and np.isclose(float(loss), want, rtol=1e-10, atol=0), (
            f"Wrong loss for logits of shape {logits.shape}: expected {want:.10g}, got "
            f"{loss!r}.\nHint: {h}")
