def test_square_net(my_sgd_step):
    """One step on a net of square layers (4, 4, 4) with a large learning rate."""
    import numpy as np
    import nnscratch as nn
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(13)
    start = nn.init_params(rng, (4, 4, 4))
    for k in start:
        start[k] = rng.normal(0.0, 1.0, size=start[k].shape)
    x, y, lr = rng.random(4), 2, 0.7
    want = nn.copy_params(start)
    loss, grads = nn.loss_and_grads(want, x, y)
    for k in want:
        want[k] -= lr * grads[k]
    got = nn.copy_params(start)
    with own_work("training-ex-my-sgd-step", my_sgd_step):
        result = my_sgd_step(got, x, y, lr)
    assert np.isclose(float(np.asarray(result).ravel()[0]), loss, rtol=1e-10), (
        f"Expected the loss before the step, {loss:.10g}, got {result!r}."
        f"\nHint: {hint('training-ex-my-sgd-step')}")
    bad = [k for k in want if not np.allclose(got[k], want[k], rtol=1e-10, atol=1e-12)]
    assert not bad, (f"After one step on a (4, 4, 4) net with lr = {lr}, {bad} are wrong."
                     f"\nHint: {hint('training-ex-my-sgd-step')}")
