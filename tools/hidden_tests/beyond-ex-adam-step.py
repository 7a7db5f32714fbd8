def test_first_step_moves_each_entry_by_lr(my_adam_step):
    """At t = 1 the bias correction makes every step about lr, whatever the gradient's scale."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    params = {"b": np.zeros(4)}
    grads = {"b": np.array([1e-4, -3.0, 200.0, -0.5])}
    m, v = {"b": np.zeros(4)}, {"b": np.zeros(4)}
    with own_work("beyond-ex-adam-step", my_adam_step):
        my_adam_step(params, grads, m, v, 1, 0.01, 0.9, 0.999, 1e-8)
    want = -0.01 * np.sign(grads["b"]) * np.abs(grads["b"]) / (np.abs(grads["b"]) + 1e-8)
    assert np.allclose(params["b"], want, rtol=1e-9, atol=1e-15), (
        f"After the first step from zero moments each entry must move by lr = 0.01 against its "
        f"gradient's sign (up to eps); got {params['b']}.\nHint: {hint('beyond-ex-adam-step')}")


def test_other_betas_and_a_3d_parameter(my_adam_step):
    """Five steps with beta1 = 0.5, beta2 = 0.9 on a (2, 3, 2) parameter, in place."""
    import numpy as np
    from nnscratch import modern
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(23)
    start = {"W1": rng.normal(size=(2, 3, 2))}
    want = {k: p.copy() for k, p in start.items()}
    wm, wv = {"W1": np.zeros((2, 3, 2))}, {"W1": np.zeros((2, 3, 2))}
    got = {k: p.copy() for k, p in start.items()}
    m, v = {"W1": np.zeros((2, 3, 2))}, {"W1": np.zeros((2, 3, 2))}
    for t in range(1, 6):
        g = {"W1": rng.normal(size=(2, 3, 2))}
        modern.adam_step(want, g, wm, wv, t, 0.05, beta1=0.5, beta2=0.9, eps=1e-6)
        with own_work("beyond-ex-adam-step", my_adam_step):
            my_adam_step(got, g, m, v, t, 0.05, 0.5, 0.9, 1e-6)
    assert np.allclose(got["W1"], want["W1"], rtol=1e-10, atol=1e-13), (
        "Five steps with beta1 = 0.5, beta2 = 0.9, eps = 1e-6 on a (2, 3, 2) parameter do not "
        f"match Adam: use the betas and eps you are given.\nHint: {hint('beyond-ex-adam-step')}")
