def test_one_image_and_extremes(my_scale):
    """One image (1, 28, 28) holding 0 and 255: the result is (1, 784) float64 in [0, 1]."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    images = np.zeros((1, 28, 28), np.uint8)
    images[0, 0, 0], images[0, 27, 27], images[0, 3, 5] = 255, 255, 1
    images.flags.writeable = False
    with own_work("mnist-ex-scale", my_scale):
        x = np.asarray(my_scale(images))
    want = images.reshape(1, 784) / 255.0
    assert x.shape == (1, 784) and x.dtype == np.float64 and np.array_equal(x, want), (
        "Wrong result for one image of shape (1, 28, 28) with pixels 0, 1 and 255: expected a "
        f"(1, 784) float64 array equal to images.reshape(1, 784) / 255.\nHint: {hint('mnist-ex-scale')}")
