def test_square_and_deep(my_init):
    """Square layers (8, 8, 8) and a deep net: keys, shapes, zero biases, variance, and the rng."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("forward-ex-my-init")
    for sizes in ((8, 8, 8), (300, 200, 100, 50, 10)):
        with own_work("forward-ex-my-init", my_init):
            p = my_init(np.random.default_rng(3), sizes)
            q = my_init(np.random.default_rng(3), sizes)
        keys = sorted(f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb")
        assert isinstance(p, dict) and sorted(p) == keys, (
            f"For sizes {sizes} expected the keys {keys}, got {sorted(p) if isinstance(p, dict) else p!r}."
            f"\nHint: {h}")
        for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            W, b = np.asarray(p[f"W{l}"]), np.asarray(p[f"b{l}"])
            assert W.shape == (n_in, n_out) and b.shape == (n_out,) and not b.any(), (
                f"For sizes {sizes}, layer {l}: expected W{l} {(n_in, n_out)} and zero b{l} "
                f"{(n_out,)}, got {W.shape} and {b.shape}.\nHint: {h}")
            assert np.array_equal(W, q[f"W{l}"]), (
                f"Two calls with np.random.default_rng(3) gave different W{l}: draw from the rng "
                f"you are given, not from np.random.\nHint: {h}")
        W = np.asarray(p["W1"]) if sizes[0] > 100 else None
        if W is not None:
            var, want = float(W.var()), 1.0 / max(sizes[0], sizes[1])
            assert abs(var / want - 1.0) < 0.1, (
                f"W1 of shape {W.shape} has variance {var:.3g}; expected about "
                f"1/max(n_in, n_out) = {want:.3g}.\nHint: {h}")
