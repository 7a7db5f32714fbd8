def test_square_layers(my_backward):
    """A backward pass on a net with square layers (4, 4, 4, 4), where a transpose still fits."""
    import numpy as np
    import nnscratch as nn
    from nnscratch.checks.grading import hint, own_work
    h = hint("backprop-ex-my-backward")
    rng = np.random.default_rng(40)
    params = nn.init_params(rng, (4, 4, 4, 4))
    for k in params:
        params[k] = rng.normal(0.0, 1.0, size=params[k].shape)
    x, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    logits, acts = nn.forward(params, x)
    dlogits = nn.cross_entropy_grad(logits, y)
    want = nn.backward(params, acts, dlogits)
    with own_work("backprop-ex-my-backward", my_backward):
        got = my_backward(params, acts, dlogits)
    assert isinstance(got, dict) and sorted(got) == sorted(want), (
        f"Expected a dict with the keys {sorted(want)}.\nHint: {h}")
    bad = [k for k in want if np.shape(got[k]) != want[k].shape
           or not np.allclose(got[k], want[k], rtol=1e-9, atol=1e-13)]
    assert not bad, (f"Wrong gradients {bad} for a net of square layers (4, 4, 4, 4): with square "
                     "weights a transposed product (dz @ W instead of dz @ W.T, or W.T in place "
                     f"of a_in.T @ dz) has the right shape but the wrong values.\nHint: {h}")


def test_batch_of_one(my_backward):
    """A batch of one sample, N = 1, on a net (6, 3, 2): the sum over the batch has one term."""
    import numpy as np
    import nnscratch as nn
    from nnscratch.checks.grading import hint, own_work
    h = hint("backprop-ex-my-backward")
    rng = np.random.default_rng(41)
    params = nn.init_params(rng, (6, 3, 2))
    for k in params:
        params[k] = rng.normal(0.0, 1.0, size=params[k].shape)
    x, y = rng.normal(size=(1, 6)), np.array([1])
    logits, acts = nn.forward(params, x)
    dlogits = nn.cross_entropy_grad(logits, y)
    want = nn.backward(params, acts, dlogits)
    with own_work("backprop-ex-my-backward", my_backward):
        got = my_backward(params, acts, dlogits)
    assert isinstance(got, dict) and sorted(got) == sorted(want), (
        f"Expected a dict with the keys {sorted(want)}.\nHint: {h}")
    bad = [k for k in want if np.shape(got[k]) != want[k].shape
           or not np.allclose(got[k], want[k], rtol=1e-9, atol=1e-13)]
    assert not bad, f"Wrong gradients {bad} for a batch of one sample (N = 1).\nHint: {h}"
