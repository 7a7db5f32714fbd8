def test_zero_momentum_is_sgd(my_momentum_step):
    """With momentum 0 a step is plain SGD; a 3-D parameter is updated in place too."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(17)
    params = {"W1": rng.normal(size=(2, 3, 2)), "b1": rng.normal(size=3)}
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    velocity = {k: rng.normal(size=v.shape) for k, v in params.items()}   # ignored when mu = 0
    want = {k: params[k] - 0.5 * grads[k] for k in params}
    with own_work("minibatch-ex-momentum", my_momentum_step):
        my_momentum_step(params, grads, velocity, 0.5, 0.0)
    bad = [k for k in want if not np.allclose(params[k], want[k], rtol=1e-12, atol=1e-14)]
    assert not bad, (f"With momentum = 0 one step must be plain SGD, p -= lr g; {bad} are wrong."
                     f"\nHint: {hint('minibatch-ex-momentum')}")
