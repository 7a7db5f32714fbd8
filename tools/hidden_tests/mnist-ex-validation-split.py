def test_edge_sizes(my_validation_split):
    """n_val = 1 and n_val = N - 1: every row once, the labels travelling with their rows."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("mnist-ex-validation-split")
    x = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    for n_val in (1, 19):
        with own_work("mnist-ex-validation-split", my_validation_split):
            xt, yt, xv, yv = my_validation_split(x, y, n_val, np.random.default_rng(6))
        assert len(xv) == len(yv) == n_val and len(xt) == len(yt) == 20 - n_val, (
            f"With N = 20 and n_val = {n_val} expected {20 - n_val} training and {n_val} "
            f"validation rows.\nHint: {h}")
        rows = np.concatenate([np.asarray(yt), np.asarray(yv)])
        assert sorted(rows.tolist()) == list(range(20)), f"Some rows are lost or repeated.\nHint: {h}"
        assert np.array_equal(np.asarray(xv)[:, 0], 2.0 * np.asarray(yv)), (
            f"The labels no longer match their images: index x and y with the same permutation.\nHint: {h}")
