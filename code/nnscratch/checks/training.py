"""Checks for the exercises of the chapter *Training*.

- :func:`check_sgd_step` for ``my_sgd_step(params, x, y, lr)`` (exercise ``training-ex-my-sgd-step``)
- :func:`check_confident_mistakes` for ``my_confident_mistakes(probs, y, k)``
  (exercise ``training-ex-confident-mistakes``)

The SGD step is compared with the definition, ``loss_and_grads`` then ``p -= lr * g`` on a copy,
on small nets of several depths with non-zero biases.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..network import copy_params, init_params, loss_and_grads
from ._core import Failure, as_array, call, check, same_values, show

__all__ = ["check_sgd_step", "check_confident_mistakes"]

SGD_HINT = ("See 'Stochastic gradient descent, one sample at a time' in the chapter Training "
            "(exercise training-ex-my-sgd-step).")
MISTAKES_HINT = ("See 'What the scaled network gets wrong' in the chapter Training "
                 "(exercise training-ex-confident-mistakes).")


def _net(sizes: tuple[int, ...], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    params = init_params(rng, sizes)
    for k in params:
        if k.startswith("b"):
            params[k] = rng.normal(0.0, 0.5, size=params[k].shape)   # biases that matter
    return params


def _diagnose_step(got: dict, start: dict, want: dict, lr: float) -> str | None:
    """Name the classic mistake that turns ``start`` into ``got`` instead of ``want``."""
    moved = {k: got[k] - start[k] for k in start}
    step = {k: want[k] - start[k] for k in start}
    if all(same_values(moved[k], -step[k], rtol=1e-9, atol=1e-15) for k in start):
        return "Every parameter moved the wrong way: the step is p += lr * g; it must be p -= lr * g."
    if all(not np.any(moved[k]) for k in start if k.startswith("b")):
        return "The biases did not change: a step updates every b{l} too (db = dz)."
    if all(same_values(moved[k], step[k], rtol=1e-9, atol=1e-15) for k in start if k.startswith("W")):
        return "The weights are right but a bias is not: db{l} is the layer's dz."
    L = len(start) // 2
    if same_values(moved[f"W{L}"], step[f"W{L}"], rtol=1e-9, atol=1e-15) and not same_values(
            moved["W1"], step["W1"], rtol=1e-6, atol=1e-12):
        return ("The top layer is right but lower layers are not. Compute da = dz @ W.T with the "
                "layer's OLD weights, before you update W (or compute every gradient first, then "
                "update).")
    return None


@check(SGD_HINT)
def check_sgd_step(my_sgd_step: Callable[[dict, np.ndarray, int, float], float]) -> str:
    """Check one in-place per-sample SGD step and its returned loss (computed before the step).

    Shapes: params with W{l} (n_in, n_out), b{l} (n_out,); x (D,); y an int.
    """
    for sizes, seed in (((6, 5, 4, 3), 0), ((4, 3), 1), ((7, 5, 5, 4, 3), 2)):
        start = _net(sizes, seed)
        rng = np.random.default_rng(seed + 10)
        x, y, lr = rng.random(sizes[0]), int(rng.integers(sizes[-1])), 0.05
        want = copy_params(start)
        loss, grads = loss_and_grads(want, x, y)
        for k in want:
            want[k] -= lr * grads[k]
        got = copy_params(start)
        inputs = f"a net of sizes {sizes} with non-zero biases, x = rng.random({sizes[0]}), y = {y}, lr = {lr}"
        result = call(my_sgd_step, got, x, y, lr, inputs=inputs)
        if not isinstance(result, (float, np.floating)) and not (
                isinstance(result, np.ndarray) and result.size == 1):
            raise Failure(f"Your function returned {show(result)}; expected the loss, a float.",
                          inputs=inputs)
        for k in start:
            if not same_values(got[k], want[k], rtol=1e-9, atol=1e-14):
                problem = _diagnose_step(got, start, want, lr) or (
                    f"After your step, {k} differs from one step of SGD "
                    "(nn.loss_and_grads, then p -= lr * g).")
                raise Failure(problem, inputs=inputs, expected=want[k], got=got[k])
        if abs(float(result) - loss) > 1e-9 * max(1.0, loss):
            after = loss_and_grads(copy_params(want), x, y)[0]
            problem = ("The returned loss is the loss AFTER the update; return the loss of the "
                       "forward pass that the step used." if abs(float(result) - after) < 1e-9
                       else "The returned loss is not the sample's cross-entropy before the step.")
            raise Failure(problem, inputs=inputs, expected=loss, got=float(result))
    return "One step matches the definition on three networks, biases and returned loss included."


@check(MISTAKES_HINT)
def check_confident_mistakes(my_confident_mistakes: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> str:
    """Check the indices of the k most confidently wrong predictions, most confident first.

    Shapes: probs (N, C) rows summing to 1, y (N,) integers -> indices (at most k,).
    """
    rng = np.random.default_rng(3)
    logits = rng.normal(0.0, 2.0, size=(200, 10))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    y = np.where(rng.random(200) < 0.7, probs.argmax(axis=1), rng.integers(0, 10, 200))
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    conf = probs[np.arange(200), pred]
    expected = wrong[np.argsort(-conf[wrong], kind="stable")]
    for k in (5, 1, len(wrong) + 10):
        inputs = f"probs (200, 10) from a seeded softmax, {len(wrong)} of the 200 predictions wrong, k = {k}"
        got = as_array(call(my_confident_mistakes, probs, y, k, inputs=inputs), inputs=inputs,
                       what="an integer array of indices")
        want = expected[:k]
        if got.dtype == bool:
            raise Failure("You returned a boolean mask; return the indices (np.flatnonzero).",
                          inputs=inputs)
        if got.dtype.kind == "f":
            raise Failure("You returned floats (the confidences?); return the integer indices "
                          "of the samples.", inputs=inputs, expected=want, got=got)
        if np.array_equal(got, want):
            continue
        if got.shape == want.shape and set(got.tolist()) == set(want.tolist()):
            raise Failure("The right samples in the wrong order: most confident first (sort the "
                          "confidences in descending order).", inputs=inputs, expected=want, got=got)
        idx = got.astype(int)
        if idx.size and idx.min() >= 0 and idx.max() < 200 and np.any(pred[idx] == y[idx]):
            raise Failure("Your list contains samples that were predicted correctly: keep only "
                          "those whose argmax differs from the label.", inputs=inputs,
                          expected=want, got=got)
        by_true = wrong[np.argsort(probs[wrong, y[wrong]], kind="stable")][:k]
        if np.array_equal(got, by_true):
            raise Failure("You ranked by the probability of the TRUE class; rank by the probability "
                          "of the predicted (wrong) class.", inputs=inputs, expected=want, got=got)
        raise Failure("These are not the k most confident mistakes.", inputs=inputs,
                      expected=want, got=got)
    none = np.eye(4)[[0, 1, 2, 3]]
    got = as_array(call(my_confident_mistakes, none, np.arange(4), 3, inputs="no mistakes at all"),
                   inputs="no mistakes at all")
    if got.size:
        raise Failure("With no mistakes the answer is an empty array.", inputs="4 correct predictions",
                      got=got)
    return "Right samples, right order, for several k, and an empty answer when nothing is wrong."
