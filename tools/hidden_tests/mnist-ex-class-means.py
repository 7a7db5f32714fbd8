def test_unbalanced_classes(my_class_means):
    """Very unbalanced classes (one sample of digit 0, a thousand of digit 9), D = 3."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    rng = np.random.default_rng(2)
    y = np.concatenate([[0], np.repeat(np.arange(1, 10), [1, 2, 3, 4, 5, 6, 7, 8, 1000])])
    x = rng.normal(size=(y.size, 3))
    with own_work("mnist-ex-class-means", my_class_means):
        got = np.asarray(my_class_means(x, y))
    want = np.stack([x[y == k].mean(axis=0) for k in range(10)])
    assert got.shape == (10, 3) and np.allclose(got, want, rtol=1e-12, atol=1e-14), (
        "Wrong class means when the classes have very different sizes (1 to 1000 samples): "
        f"row c is the mean of the rows with label c.\nHint: {hint('mnist-ex-class-means')}")
