def test_long_noisy_run(my_early_stopping):
    """A 60-epoch noisy validation curve, against the definition, for three patiences."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(43)
    t = np.arange(61)
    scores = (0.9 - 0.8 * np.exp(-t / 5) - 0.002 * t + rng.normal(0, 0.004, 61)).tolist()
    for patience in (1, 4, 10):
        best, stop = 0, len(scores) - 1
        for epoch in range(1, len(scores)):
            if scores[epoch] > scores[best]:
                best = epoch
            elif epoch - best >= patience:
                stop = epoch
                break
        with own_work("diagnostics-ex-early-stopping", my_early_stopping):
            got = tuple(int(v) for v in my_early_stopping(list(scores), patience))
        assert got == (best, stop), (
            f"patience {patience} on a 60-epoch curve: expected {(best, stop)}, got {got}."
            f"\nHint: {hint('diagnostics-ex-early-stopping')}")


def test_no_improvement_at_all(my_early_stopping):
    """Training that never beats epoch 0 keeps the initial weights."""
    from nnscratch.checks.grading import hint, own_work
    with own_work("diagnostics-ex-early-stopping", my_early_stopping):
        got = tuple(int(v) for v in my_early_stopping([0.5, 0.4, 0.3, 0.2], 2))
    assert got == (0, 2), (f"Scores [0.5, 0.4, 0.3, 0.2], patience 2: expected (0, 2), got {got}."
                           f"\nHint: {hint('diagnostics-ex-early-stopping')}")
