def test_small_and_exact(my_batches):
    """n smaller than the batch size, and n a multiple of it: every index exactly once."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("minibatch-ex-batches")
    for n, bs, sizes in ((3, 8, [3]), (12, 4, [4, 4, 4]), (1, 1, [1])):
        with own_work("minibatch-ex-batches", my_batches):
            batches = [np.asarray(b) for b in my_batches(n, bs, np.random.default_rng(1))]
        assert [b.size for b in batches] == sizes, (
            f"For n = {n}, batch_size = {bs} expected batches of sizes {sizes}, got "
            f"{[b.size for b in batches]}.\nHint: {h}")
        assert sorted(np.concatenate(batches).tolist()) == list(range(n)), (
            f"For n = {n} every index 0..{n - 1} must appear exactly once.\nHint: {h}")
