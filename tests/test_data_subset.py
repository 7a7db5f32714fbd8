"""load_mnist(n_train=..., n_test=...): the first images of each split, the same as slicing the
whole set, so a chapter that needs a few images does not hold 60,000 (376 MB in float64)."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.data import load_mnist


def test_the_first_images_are_those_of_the_whole_set(mnist) -> None:
    part = load_mnist(n_train=100, n_test=0)
    assert part.x_train.shape == (100, 784) and part.y_train.shape == (100,)
    assert part.x_test.shape == (0, 784) and part.y_test.shape == (0,)
    np.testing.assert_array_equal(part.x_train, mnist.x_train[:100])
    np.testing.assert_array_equal(part.y_train, mnist.y_train[:100])
    assert part.x_train.dtype == np.float64 and part.y_train.dtype == np.int64
    assert part.x_train.flags.writeable and part.x_train.flags.owndata


def test_the_options_combine(mnist) -> None:
    raw = load_mnist(n_test=7, scale=False, flatten=False, dtype=np.float32)
    assert raw.x_train.shape == (60000, 28, 28) and raw.x_test.shape == (7, 28, 28)
    assert raw.x_test.dtype == np.float32 and raw.x_test.max() == 255.0
    np.testing.assert_array_equal(raw.x_test.reshape(7, 784), np.round(mnist.x_test[:7] * 255.0))


@pytest.mark.parametrize("bad", [-1, 60001, 2.5, True, "10"])
def test_a_bad_count_says_what_is_allowed(bad) -> None:
    with pytest.raises(ValueError, match=r"n_train must be a whole number of images from 0 to 60000"):
        load_mnist(n_train=bad)
