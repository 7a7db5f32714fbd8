"""Checks for the exercises of the chapter *Softmax, cross-entropy and their derivatives*.

- :func:`check_softmax` for ``my_softmax(z)`` (exercise ``softmax-ex-my-softmax``)
- :func:`check_cross_entropy` for ``my_cross_entropy(logits, y)`` (``softmax-ex-my-cross-entropy``)
- :func:`check_cross_entropy_grad` for ``my_cross_entropy_grad(logits, y)``
  (``softmax-ex-my-cross-entropy-grad``)

Shapes: logits (N, C) float64, labels (N,) integers. The inputs are built so that each classic
mistake shows: rows of very different scales (one max over the whole batch), N = C (a sum without
keepdims), N != C (a transpose), N > 1 (a missing or doubled 1/N).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..losses import cross_entropy as _ce
from ..losses import cross_entropy_grad as _ce_grad
from ..losses import logsumexp as _lse
from ..losses import softmax as _softmax
from ._core import Failure, as_array, call, check, expect_shape, same_values, show

__all__ = ["check_softmax", "check_cross_entropy", "check_cross_entropy_grad"]

SOFTMAX_HINT = ("See 'The max trick' and 'Batches: one maximum per row' in the chapter Softmax, "
                "cross-entropy and their derivatives (exercise softmax-ex-my-softmax).")
CE_HINT = ("See 'Cross-entropy, computed from the logits' and 'Where the 1/N lives' in the "
           "chapter Softmax, cross-entropy and their derivatives (exercise "
           "softmax-ex-my-cross-entropy).")
GRAD_HINT = ("See 'The chain to p - y' and 'Where the 1/N lives' in the chapter Softmax, "
             "cross-entropy and their derivatives (exercise softmax-ex-my-cross-entropy-grad).")

NO_SHIFT = ("An overflow in exp: large logits need the max trick. Subtract each row's own "
            "maximum, np.max(z, axis=-1, keepdims=True), before exp.")
BROADCAST = ("The shapes do not broadcast. A reduction without keepdims=True has shape (N,), "
             "which lines up with the last axis of an (N, C) array, not with its rows: use "
             "axis=-1, keepdims=True.")
LOG_ZERO = ("A log of 0: a probability underflowed to 0 before the log. Compute the loss from "
            "the logits, log-sum-exp minus the label's logit, never as log(softmax).")


def _logits(n: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 2.0, size=(n, c))        # (N, C)


def _labels(n: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, c, size=n)                 # (N,)


def _rows(z: np.ndarray) -> str:
    return show(z).split("  (shape")[0] + f", shape {z.shape}"


@check(SOFTMAX_HINT)
def check_softmax(my_softmax: Callable[[np.ndarray], np.ndarray]) -> str:
    """Check ``my_softmax(z)``: row-wise, sums to 1, shift-invariant per row, stable.

    Shapes: z (N, C) float64 -> (N, C).
    """
    errors = {"overflow": NO_SHIFT, "broadcast": BROADCAST}
    z = _logits(3, 5, 1)                                                      # (3, 5)
    p = as_array(call(my_softmax, z.copy(), inputs=_rows(z), errors=errors), inputs=_rows(z))
    expect_shape(p, z.shape, inputs=_rows(z), why="The softmax keeps the shape of z.")
    if not same_values(p, _softmax(z)):
        sums = p.sum(axis=-1)
        if np.isclose(p.sum(), 1.0):
            why = ("Your rows sum to {} but the whole array sums to 1: you normalised by one "
                   "sum over the whole batch. Sum each row: np.sum(e, axis=-1, keepdims=True)."
                   ).format(np.round(sums, 4).tolist())
        elif np.allclose(p.sum(axis=0), 1.0):
            why = ("Your columns sum to 1, not your rows: you reduced over axis=0. The classes "
                   "are the last axis: use axis=-1.")
        else:
            why = "Each row must be the softmax of that row of z."
        raise Failure(f"Wrong probabilities. {why}", inputs=_rows(z), expected=_softmax(z), got=p)

    square = _logits(4, 4, 2)                                                  # N = C = 4
    p = as_array(call(my_softmax, square.copy(), inputs=_rows(square), errors=errors),
                 inputs=_rows(square))
    if not same_values(p, _softmax(square)):
        raise Failure("Wrong probabilities when N = C: the rows of your result sum to "
                      f"{np.round(p.sum(axis=-1), 4).tolist()}. A sum without keepdims=True has "
                      "shape (N,) and divides column j by row j's sum; it only fails loudly when "
                      "N != C. Use np.sum(e, axis=-1, keepdims=True).", inputs=_rows(square),
                      expected=_softmax(square), got=p)

    shifted = z.copy()
    shifted[0] += 1000.0                                                      # only row 0 moves
    inputs = f"{_rows(shifted)} (z above with 1000 added to row 0 only)"
    try:
        q = as_array(call(my_softmax, shifted.copy(), inputs=inputs, errors=errors), inputs=inputs)
    except Failure as failure:
        if "invalid" in failure.problem or "divide by zero" in failure.problem:
            failure.problem += ("\nRow 1 turned into 0/0 when only row 0 changed: your softmax "
                                "takes one max over the whole batch. Use "
                                "np.max(z, axis=-1, keepdims=True), one max per row.")
        raise
    if not same_values(q[1:], _softmax(z)[1:]):
        raise Failure("Row 1 changed when only row 0 changed (by +1000): your softmax takes one "
                      "max over the whole batch; use np.max(z, axis=-1, keepdims=True).",
                      inputs=inputs, expected=_softmax(z)[1], got=q[1])
    if not same_values(q, _softmax(z)):
        raise Failure("Adding a constant to a row must not change that row's probabilities "
                      "(shift invariance).", inputs=inputs, expected=_softmax(z)[0], got=q[0])

    extreme = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0, 5.0], [-1e4, -1e4 + 2.0, -1e4, -1e4, -1e4],
                        [1000.0, 1001.0, 999.0, 1002.0, 1000.5]])
    p = as_array(call(my_softmax, extreme.copy(), inputs=_rows(extreme), errors=errors),
                 inputs=_rows(extreme))
    if not same_values(p, _softmax(extreme), rtol=1e-12, atol=1e-300):
        raise Failure("Wrong or non-finite probabilities for logits of very different scales.",
                      inputs=_rows(extreme), expected=_softmax(extreme), got=p)
    return ("Your softmax is row-wise (one max and one sum per row), sums to 1 in every row, is "
            "unchanged by a different shift of each row, and stays finite at +-1e4.")


def _ce_candidates(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Values that classic wrong cross-entropies return, to name the mistake."""
    n = logits.shape[0]
    lse, picked = _lse(logits), logits[np.arange(n), y]
    return {
        "sum": float(np.sum(lse - picked)),
        "columns": float(np.mean(lse - logits[:, y])),
        "columns_t": float(np.mean(lse[:, None] - logits[:, y])),
    }


@check(CE_HINT)
def check_cross_entropy(my_cross_entropy: Callable[[np.ndarray, np.ndarray], float]) -> str:
    """Check ``my_cross_entropy(logits, y)``: the mean over the batch, from logits, stable.

    Shapes: logits (N, C) float64, y (N,) integers -> a float.
    """
    errors = {"divide by zero": LOG_ZERO, "overflow": NO_SHIFT, "broadcast": BROADCAST,
              "index": "Pick each row's label logit with logits[np.arange(N), y]."}
    wrong_one = np.array([[0.0, 800.0]])
    inputs = "logits = [[0.0, 800.0]], y = [0] (a confident mistake)"
    loss = call(my_cross_entropy, wrong_one.copy(), np.array([0]), inputs=inputs, errors=errors)
    if np.ndim(loss) != 0:
        raise Failure(f"Your function returned {show(loss)}; expected one number, the mean "
                      "loss over the batch (a Python float).", inputs=inputs)
    if not np.isclose(float(loss), 800.0, rtol=1e-12, atol=0):
        why = (" It looks clipped: log(clip(p)) caps the loss and hides the mistake."
               if np.isfinite(float(loss)) and float(loss) < 100 else "")
        raise Failure(f"Wrong loss for a confidently wrong prediction.{why} Compute "
                      "logsumexp(z) - z[y] from the logits.", inputs=inputs, expected=800.0,
                      got=loss)

    logits, y = _logits(5, 4, 3), _labels(5, 4, 8)
    inputs = f"logits {_rows(logits)}, y = {y.tolist()}"
    loss = call(my_cross_entropy, logits.copy(), y.copy(), inputs=inputs, errors=errors)
    if np.ndim(loss) != 0:
        raise Failure(f"Your function returned {show(loss)}; expected one number, the mean "
                      "over the batch, not the per-sample losses.", inputs=inputs)
    expected, loss = _ce(logits, y), float(loss)
    if not np.isclose(loss, expected, rtol=1e-10, atol=0):
        candidates = _ce_candidates(logits, y)
        if np.isclose(loss, candidates["sum"], rtol=1e-10):
            why = ("Your value is N times the mean: you summed the per-sample losses. "
                   "The loss of a batch is their mean (the loss of N copies of one sample "
                   "equals the loss of that sample).")
        elif any(np.isclose(loss, candidates[k], rtol=1e-10) for k in ("columns", "columns_t")):
            why = ("logits[:, y] is an (N, N) matrix (every row, the columns y), so you "
                   "averaged the wrong entries. Pick logits[n, y[n]] with "
                   "logits[np.arange(N), y].")
        else:
            why = ("Each sample's loss is logsumexp(logits[n]) - logits[n, y[n]]; "
                   "return their mean.")
        raise Failure(f"Wrong loss. {why}", inputs=inputs, expected=expected, got=loss)

    scales = np.array([[1000.0, 0.0, 1001.0], [0.0, 1.0, 2.0], [-1e4, 1e4, 0.0]])
    y = np.array([0, 2, 0])
    inputs = f"logits {_rows(scales)}, y = {y.tolist()}"
    try:
        loss = call(my_cross_entropy, scales.copy(), y, inputs=inputs,
                    errors={"overflow": NO_SHIFT})
    except Failure as failure:
        if "divide by zero" in failure.problem or "invalid" in failure.problem:
            failure.problem += ("\nRow 1 (small logits) broke when row 0 had large ones: one max "
                                "over the whole batch makes every exp of row 1 underflow to 0. "
                                "Take one max per row: np.max(logits, axis=1, keepdims=True).")
        raise
    if not np.isclose(float(loss), _ce(scales, y), rtol=1e-12, atol=0):
        raise Failure("Wrong loss for rows of very different scales.", inputs=inputs,
                      expected=_ce(scales, y), got=loss)
    return ("Your cross-entropy is the mean over the batch, computed from the logits: exact for "
            "a confident mistake (800.0) and finite for logits up to +-1e4.")


@check(GRAD_HINT)
def check_cross_entropy_grad(my_grad: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    """Check ``my_cross_entropy_grad(logits, y)`` = (softmax(logits) - onehot(y)) / N.

    Shapes: logits (N, C) float64, y (N,) integers -> (N, C); tested with N = 3 != C = 5.
    """
    errors = {"overflow": NO_SHIFT, "broadcast": BROADCAST}
    logits, y = _logits(3, 5, 5), _labels(3, 5, 10)
    n = logits.shape[0]
    inputs = f"logits {_rows(logits)}, y = {y.tolist()}"
    g = as_array(call(my_grad, logits.copy(), y.copy(), inputs=inputs, errors=errors),
                 inputs=inputs)
    expected = _ce_grad(logits, y)                                               # (N, C)
    if g.shape == expected.T.shape:
        raise Failure(f"Wrong shape: expected (N, C) = {expected.shape}, got {g.shape}, the "
                      "transpose. The gradient has the shape of the logits.", inputs=inputs)
    expect_shape(g, expected.shape, inputs=inputs, why="The gradient has the shape of the logits.")
    if not same_values(g, expected, rtol=1e-9, atol=1e-15):
        for factor, why in [(n, f"Your gradient is N = {n} times too large: the 1/N of the mean "
                                "is missing."),
                            (1.0 / n, f"Your gradient is N = {n} times too small: you divided by "
                                      "N twice."),
                            (-1.0, "Your gradient has the wrong sign: it is (Y - P)/N, the "
                                   "direction of increase is (P - Y)/N.")]:
            if same_values(g, factor * expected, rtol=1e-9, atol=1e-15):
                raise Failure(why, inputs=inputs, expected=expected, got=g)
        raise Failure("Wrong gradient. It is (softmax(logits) - onehot(y)) / N, row by row.",
                      inputs=inputs, expected=expected, got=g)

    big = np.array([[1e4, -1e4, 0.0, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0, 4.0],
                    [-1e4, -1e4 + 1.0, 5.0, 1e3, 0.0]])
    yb = np.array([1, 4, 3])
    inputs = f"logits {_rows(big)}, y = {yb.tolist()}"
    try:
        g = as_array(call(my_grad, big.copy(), yb, inputs=inputs, errors=errors), inputs=inputs)
    except Failure as failure:
        if "invalid" in failure.problem:
            failure.problem += ("\nA row turned into 0/0: one max over the whole batch makes "
                                "every exp of a row of small logits underflow. Take one max per "
                                "row.")
        raise
    if not same_values(g, _ce_grad(big, yb), rtol=1e-9, atol=1e-15):
        raise Failure("Wrong or non-finite gradient for large logits.", inputs=inputs,
                      expected=_ce_grad(big, yb), got=g)
    return ("Your gradient is (P - Y)/N: the right shape (N, C), the right sign, the 1/N of the "
            "mean exactly once, and finite for logits up to +-1e4.")
