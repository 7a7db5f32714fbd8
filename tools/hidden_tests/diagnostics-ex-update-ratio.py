def test_four_layers_and_float32(my_update_ratios):
    """Four layers of float32 weights: one ratio per layer, in order, weights only."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(41)
    sizes = (7, 6, 5, 4, 3)
    params, grads = {}, {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = rng.normal(0.0, 1.0 / k, size=(n_in, n_out)).astype(np.float32)
        params[f"b{k}"] = rng.normal(size=n_out).astype(np.float32)
        grads[f"W{k}"] = rng.normal(0.0, 0.1 * k, size=(n_in, n_out)).astype(np.float32)
        grads[f"b{k}"] = rng.normal(size=n_out).astype(np.float32)
    want = np.array([0.05 * np.linalg.norm(grads[f"W{k}"].astype(np.float64))
                     / np.linalg.norm(params[f"W{k}"].astype(np.float64)) for k in range(1, 5)])
    with own_work("diagnostics-ex-update-ratio", my_update_ratios):
        got = np.asarray(my_update_ratios(params, grads, 0.05), dtype=np.float64)
    assert got.shape == (4,) and np.allclose(got, want, rtol=1e-5), (
        f"Four layers, lr = 0.05: expected {want.tolist()}, got {got.tolist()}."
        f"\nHint: {hint('diagnostics-ex-update-ratio')}")


def test_scaling(my_update_ratios):
    """Doubling lr doubles every ratio; doubling the weights halves it."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(42)
    params = {"W1": rng.normal(size=(9, 4)), "b1": np.zeros(4),
              "W2": rng.normal(size=(4, 2)), "b2": np.zeros(2)}
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    with own_work("diagnostics-ex-update-ratio", my_update_ratios):
        r1 = np.asarray(my_update_ratios(params, grads, 0.1), dtype=np.float64)
        r2 = np.asarray(my_update_ratios(params, grads, 0.2), dtype=np.float64)
        big = {k: 2.0 * v for k, v in params.items()}
        r3 = np.asarray(my_update_ratios(big, grads, 0.1), dtype=np.float64)
    assert np.allclose(r2, 2 * r1, rtol=1e-10) and np.allclose(r3, r1 / 2, rtol=1e-10), (
        "The ratio ||lr dW|| / ||W|| must double with lr and halve when W doubles."
        f"\nHint: {hint('diagnostics-ex-update-ratio')}")
