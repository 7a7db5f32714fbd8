"""Checks for the exercises of the chapter *MNIST*.

- :func:`check_scale` for ``my_scale(images)`` (exercise ``mnist-ex-scale``)
- :func:`check_class_means` for ``my_class_means(x, y)`` (exercise ``mnist-ex-class-means``)
- :func:`check_validation_split` for ``my_validation_split(x, y, n_val, rng)``
  (exercise ``mnist-ex-validation-split``)

The inputs are small and seeded: a few random 28 x 28 uint8 images, a few rows of D numbers.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Failure, as_array, call, check, expect_shape, same_values, show

__all__ = ["check_scale", "check_class_means", "check_validation_split"]

SCALE_HINT = ("See 'Scaling the pixels, and why sigmoids care' in the chapter MNIST (exercise "
              "mnist-ex-scale).")
MEANS_HINT = "See 'The average digit' in the chapter MNIST (exercise mnist-ex-class-means)."
SPLIT_HINT = ("See 'Keep the test set for the end' in the chapter MNIST (exercise "
              "mnist-ex-validation-split).")

READ_ONLY = ("Your function tried to write into its input, which is read-only here (like the "
             "arrays of nn.data.read_mnist_arrays). Make a new float array first, "
             "e.g. with astype(np.float64), and compute on that.")


def _images(n: int, seed: int, top: int = 255) -> np.ndarray:
    """n random uint8 images (n, 28, 28) with pixels 0..top, both ends present, read-only."""
    images = np.random.default_rng(seed).integers(0, top + 1, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = 0, top                                    # both extremes occur
    images.flags.writeable = False
    return images


@check(SCALE_HINT)
def check_scale(my_scale: Callable[[np.ndarray], np.ndarray]) -> str:
    """Check ``my_scale(images)``: (N, 28, 28) uint8 -> a new (N, 784) float64 array in [0, 1].

    Row n is image n's 28 rows laid end to end (row-major), divided by 255.
    """
    for images, what in [(_images(3, 11), "3 random images"),
                         (_images(4, 12, top=200), "4 faint images whose darkest pixel is 200")]:
        inputs = f"{what}, shape {images.shape}, dtype uint8, read-only"
        x = as_array(call(my_scale, images, inputs=inputs,
                          errors={"read-only": READ_ONLY, "output array": READ_ONLY}),
                     inputs=inputs)
        n = images.shape[0]
        expect_shape(x, (n, 784), inputs=inputs,
                     why="Flatten each image into one row of 784 pixels: images.reshape(N, 784).")
        if x.dtype != np.float64:
            extra = (" Integer arithmetic on uint8 pixels wraps around (255 + 1 = 0) and integer "
                     "division rounds: convert to float64 first." if x.dtype.kind in "iub" else
                     " Compute in float64.")
            raise Failure(f"Wrong dtype: expected float64, got {x.dtype}.{extra}", inputs=inputs)
        expected = images.reshape(n, 784) / 255.0
        if not same_values(x, expected):
            if same_values(x, images.reshape(n, 784).astype(np.float64)):
                why = "The pixels are not divided by 255: they still range over 0..255."
            elif same_values(x, expected * 255.0 / images.max()):
                why = ("You divided by images.max() instead of 255: a batch of faint digits is "
                       "then scaled differently from the rest. Always divide by 255.")
            elif same_values(x, images.transpose(0, 2, 1).reshape(n, 784) / 255.0):
                why = ("The pixels are in column order: each row of the result must be the image's "
                       "28 rows laid end to end. Reshape in NumPy's default (row-major) order.")
            else:
                why = "Row n must be image n's pixels, row after row, divided by 255."
            raise Failure(f"Wrong values. {why}", inputs=inputs, expected=expected, got=x)
        if np.shares_memory(x, images):
            raise Failure("Your result shares memory with the input: return a new array.",
                          inputs=inputs)
    return ("Your function returns a new (N, 784) float64 array in [0, 1], row-major, divided "
            "by 255 (not by the batch's maximum), and leaves the (read-only) input alone.")


def _features(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x (n, d) float64 and y (n,) int labels 0..9, every digit present, shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.concatenate([np.arange(10), rng.integers(0, 10, size=n - 10)]))
    return rng.normal(0.5, 0.3, size=(n, d)), y


@check(MEANS_HINT)
def check_class_means(my_class_means: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    """Check ``my_class_means(x, y)``: x (N, D), y (N,) -> (10, D), row c the mean of digit c."""
    for n, d in [(40, 10), (33, 7)]:                          # D = 10 = C hides a broadcast bug
        x, y = _features(n, d, seed=n)
        inputs = f"x of shape ({n}, {d}), y = {y.tolist()}"
        got = as_array(call(my_class_means, x.copy(), y.copy(), inputs=inputs,
                            errors={"broadcast": "Divide row c by count c: counts[:, None] "
                                                 "has shape (10, 1) and lines up with the rows."}),
                       inputs=inputs)
        Y = np.eye(10)[y]                                      # (N, C) one-hot
        counts = Y.sum(axis=0)                                 # (C,)
        sums = Y.T @ x                                         # (C, D)
        expected = sums / counts[:, None]
        if got.shape == (d, 10) and d != 10:
            raise Failure(f"Wrong shape: expected (10, D) = (10, {d}), got {got.shape}, the "
                          "transpose. Row c is the mean image of digit c.", inputs=inputs)
        expect_shape(got, (10, d), inputs=inputs, why="One row of D numbers per digit.")
        if not same_values(got, expected, rtol=1e-10):
            if same_values(got, sums):
                why = "These are the sums of each digit's images: divide by each digit's count."
            elif same_values(got, sums / n):
                why = (f"You divided by N = {n}, the whole batch, instead of each digit's count.")
            elif d == 10 and same_values(got, sums / counts[None, :]):
                why = ("Column j is divided by the count of digit j: a (10,) vector of counts "
                       "broadcasts along the last axis. Use counts[:, None] to divide rows.")
            elif d == 10 and same_values(got, expected.T):
                why = "Your result is the transpose: row c must be the mean image of digit c."
            else:
                why = "Row c must be the mean of the rows of x whose label is c."
            raise Failure(f"Wrong class means. {why}", inputs=inputs, expected=expected, got=got)
    return ("Your class means are right: a (10, D) array whose row c is the mean of the images "
            "of digit c, each divided by its own count.")


def _split(fn: Callable, x: np.ndarray, y: np.ndarray, n_val: int, seed: int) -> tuple:
    """Call the reader's split and check the form of what comes back: four arrays."""
    inputs = (f"x of shape {x.shape}, y of shape {y.shape}, n_val = {n_val}, "
              f"rng = default_rng({seed})")
    out = call(fn, x, y, n_val, np.random.default_rng(seed), inputs=inputs)
    if not isinstance(out, tuple) or len(out) != 4:
        raise Failure(f"Your function returned {show(out)}; expected a tuple of four arrays "
                      "(x_train, y_train, x_val, y_val).", inputs=inputs)
    parts = [as_array(a, inputs=inputs, what="four NumPy arrays") for a in out]
    n = x.shape[0]
    for part, name, shape in zip(parts, ("x_train", "y_train", "x_val", "y_val"),
                                 [(n - n_val, x.shape[1]), (n - n_val,), (n_val, x.shape[1]),
                                  (n_val,)]):
        expect_shape(part, shape, inputs=inputs, why=f"(that is {name}; the validation set has "
                     f"n_val = {n_val} rows and the training set the other {n - n_val})")
    return inputs, parts


@check(SPLIT_HINT)
def check_validation_split(my_validation_split: Callable) -> str:
    """Check ``my_validation_split(x, y, n_val, rng)`` -> (x_train, y_train, x_val, y_val).

    Shapes: x (N, D), y (N,) -> (N - n_val, D), (N - n_val,), (n_val, D), (n_val,).
    """
    n, n_val = 20, 6
    ids = np.arange(n, dtype=np.float64)
    x = np.stack([ids, 100.0 + ids, -ids], axis=1)             # (N, 3): row i identifies i
    y = (7 * np.arange(n)) % 10                                # (N,): label of row i
    x_before, y_before = x.copy(), y.copy()
    inputs, (x_tr, y_tr, x_va, y_va) = _split(my_validation_split, x, y, n_val, seed=3)
    if not (np.array_equal(x, x_before) and np.array_equal(y, y_before)):
        raise Failure("Your function changed x or y in place (for example with rng.shuffle(x)). "
                      "Index with a permutation instead: x[order] returns a new array.",
                      inputs=inputs)
    rows_tr, rows_va = x_tr[:, 0].astype(int), x_va[:, 0].astype(int)
    both = np.intersect1d(rows_tr, rows_va)
    if both.size or np.unique(rows_tr).size != rows_tr.size or np.unique(rows_va).size != n_val:
        raise Failure("Some rows land twice (in both parts, or twice in one) and so others not "
                      f"at all; rows in both parts: {both.tolist()}. Two separate draws (e.g. two "
                      "calls of rng.choice) can pick the same row: take one permutation and "
                      "split it.", inputs=inputs)
    if not (np.array_equal(y_tr, y[rows_tr]) and np.array_equal(y_va, y[rows_va])):
        raise Failure("Labels were separated from their images: y must be indexed with the same "
                      "indices as x (one permutation for both).", inputs=inputs,
                      expected=y[rows_va], got=y_va)
    if set(rows_va) in (set(range(n_val)), set(range(n - n_val, n))):
        raise Failure(f"The validation rows are {sorted(rows_va.tolist())}: the first or last "
                      "n_val rows, not a random choice. Shuffle the row indices with rng first.",
                      inputs=inputs)
    _, again = _split(my_validation_split, x, y, n_val, seed=3)
    _, other = _split(my_validation_split, x, y, n_val, seed=4)
    if not all(np.array_equal(a, b) for a, b in zip(again, (x_tr, y_tr, x_va, y_va))):
        raise Failure("The same seed gave a different split: draw all randomness from the rng "
                      "that is passed in, not from np.random.", inputs=inputs)
    if np.array_equal(other[2], x_va):
        raise Failure("Different seeds gave the same split: use the rng that is passed in "
                      "(not a Generator of your own with a fixed seed).", inputs=inputs)
    for edge in (0, n):
        _split(my_validation_split, x, y, edge, seed=5)       # shapes checked inside
    return ("Your split is random (from the rng you are given, reproducible), puts every row in "
            "exactly one part, keeps each label with its image, leaves the inputs alone, and "
            "handles n_val = 0 and n_val = N.")
