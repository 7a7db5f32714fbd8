def test_square_layers_and_one_sample(my_forward):
    """Square layers (5, 5, 5, 5), where W and W.T have one shape, for a batch and for one sample."""
    import numpy as np
    import nnscratch as nn
    from nnscratch.checks.grading import hint, own_work
    h = hint("forward-ex-my-forward")
    rng = np.random.default_rng(21)
    params = nn.init_params(rng, (5, 5, 5, 5))
    for k in params:
        params[k] = rng.normal(0.0, 1.0, size=params[k].shape)
    x = rng.normal(size=(3, 5))
    want, _ = nn.forward(params, x)
    for xi, wi in ((x, want), (x[1], want[1])):
        with own_work("forward-ex-my-forward", my_forward):
            got = np.asarray(my_forward(params, xi.copy()))
        assert got.shape == wi.shape and np.allclose(got, wi, rtol=1e-10, atol=1e-12), (
            f"Wrong logits for a net of square layers (5, 5, 5, 5) and x of shape {xi.shape}: "
            f"expected {np.round(wi, 6).tolist()}, got {np.round(got, 6).tolist()}. With square "
            "layers x @ W.T runs without an error: a layer is x @ W + b."
            f"\nHint: {h}")
