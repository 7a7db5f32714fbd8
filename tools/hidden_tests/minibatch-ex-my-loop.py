def test_two_epochs_with_one_generator(my_minibatch_epoch):
    """Two epochs from one generator (each draws a new order), a batch of one sample at the end,
    and a deeper net: the parameters must follow plain minibatch SGD."""
    import numpy as np
    import nnscratch as nn
    from nnscratch.checks.grading import hint, own_work
    from nnscratch.checks.minibatch import _reference_epoch
    rng = np.random.default_rng(29)
    start = nn.init_params(rng, (5, 4, 4, 4, 3))
    x, y = rng.random((13, 5)), rng.integers(0, 3, size=13)
    want, got = nn.copy_params(start), nn.copy_params(start)
    ref_rng, my_rng = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(2):
        _reference_epoch(want, x, y, 0.3, 4, ref_rng)
    with own_work("minibatch-ex-my-loop", my_minibatch_epoch):
        for _ in range(2):
            my_minibatch_epoch(got, x, y, 0.3, 4, my_rng)
    bad = [k for k in want if not np.allclose(got[k], want[k], rtol=1e-9, atol=1e-12)]
    assert not bad, (f"After two epochs of 13 samples in batches of 4 (the last holds one), "
                     f"{bad} differ from plain minibatch SGD."
                     f"\nHint: {hint('minibatch-ex-my-loop')}")
