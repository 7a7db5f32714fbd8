def test_three_dimensional(my_grad_check):
    """Centred differences for a 3-D x, which is restored exactly."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("backprop-ex-my-grad-check")
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 3, 2))
    c = rng.normal(size=x.shape)
    original = x.copy()
    f = lambda: float(np.sum(c * np.cos(x)))
    with own_work("backprop-ex-my-grad-check", my_grad_check):
        got = np.asarray(my_grad_check(f, x, 1e-5))
    assert x.tobytes() == original.tobytes(), f"x was not restored exactly.\nHint: {h}"
    want = -c * np.sin(x)
    assert got.shape == x.shape and np.allclose(got, want, rtol=1e-6, atol=1e-8), (
        f"Wrong numerical gradient for x of shape {x.shape} (f = sum(c cos x)).\nHint: {h}")
