"""Checks for the exercises of the chapter *The sigmoid and numerical stability*.

- :func:`check_sigmoid` for ``my_sigmoid(z)`` (exercise ``sigmoid-ex-my-sigmoid``)
- :func:`check_sigmoid_prime` for ``my_sigmoid_prime(z)`` (exercise ``sigmoid-ex-my-sigmoid-prime``)

Both functions are elementwise: z of any shape and dtype float32 or float64 -> the same shape and
dtype. The checks compare with the stable formulas of the chapter to a few units of the type's
precision (relative), with NumPy raising on overflow, so the naive formula is reported as such.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..activations import sigmoid as _sigmoid
from ._core import Failure, as_array, call, check, expect_shape, first_bad

__all__ = ["check_sigmoid", "check_sigmoid_prime"]

ULPS = 8  # "a few units" of the type's precision: the stable formulas stay within 3

SIGMOID_HINT = ("See 'A form that never overflows' in the chapter The sigmoid and numerical "
                "stability (exercise sigmoid-ex-my-sigmoid).")
PRIME_HINT = ("See 'The derivative' in the chapter The sigmoid and numerical stability, and "
              "exercises sigmoid-ex-round-to-one and sigmoid-ex-my-sigmoid-prime.")

OVERFLOW = ("An overflow: exp of a large positive number is infinite (exp(710.) in float64, "
            "exp(89.) in float32). Only ever exponentiate -|z|, which lies in (-inf, 0]. "
            "np.where computes both of its branches for every element, so both must be safe "
            "everywhere, not only where they are selected.")
INVALID = ("An invalid operation (inf/inf, 0/0 or inf - inf), usually right after an overflow: "
           "only ever exponentiate -|z|.")

#: Inputs: the extremes of the exercise, the deep negative tail, and ordinary values.
Z_FLOAT64 = np.array([[-1e4, -745.0, -700.0, -100.0, -36.0, -1.5, -1e-8],
                      [0.0, 1e-8, 2.0, 36.0, 40.0, 745.0, 1e4]])
Z_FLOAT32 = np.array([-1e4, -89.0, -80.0, -17.0, -1.0, 0.0, 1.0, 17.0, 89.0, 1e4], np.float32)


def _grid(dtype: type) -> np.ndarray:
    """A dense, seeded grid over the range where every digit of the result matters."""
    rng = np.random.default_rng(2026)
    z = np.concatenate([rng.uniform(-60.0, 60.0, 400), np.linspace(-5.0, 5.0, 101)])
    return z.astype(dtype)


def _exact_prime(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = q / (1 + q)**2 with q = exp(-|z|), in float64 (the reference)."""
    q = np.exp(-np.abs(z.astype(np.float64)))
    return q / (1.0 + q) ** 2


def _call_elementwise(fn: Callable, z: np.ndarray, errors: dict[str, str]) -> np.ndarray:
    """Call ``fn(z)``; if it fails, find the first element that fails on its own and name it."""
    inputs = f"z = {_fmt(z)}"
    try:
        return as_array(call(fn, z.copy(), inputs=inputs, errors=errors), inputs=inputs)
    except Failure as failure:
        if failure.problem.startswith("not answered"):
            raise
        for value in z.ravel():
            try:
                call(fn, np.array([value], dtype=z.dtype), inputs="", errors=errors)
            except Failure:
                failure.problem += (f"\nIt fails for z = {_num(value)} on its own "
                                    f"(as np.array([{_num(value)}], dtype=np.{z.dtype})).")
                break
        raise


def _num(v: float) -> str:
    return f"{float(v):.9g}"


def _fmt(z: np.ndarray) -> str:
    """z as a short one-line array with its dtype, for a message."""
    body = np.array2string(z, separator=", ", threshold=20, edgeitems=3, max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:.6g}"})
    return f"{' '.join(body.split())} ({z.dtype}, shape {z.shape})"


def _compare(got: np.ndarray, expected: np.ndarray, z: np.ndarray, what: str) -> None:
    """Fail at the first entry that is not within ULPS units (relative) of ``expected``."""
    finfo = np.finfo(z.dtype)
    bad = first_bad(got, expected, rtol=ULPS * float(finfo.eps), atol=float(finfo.tiny))
    if bad < 0:
        return
    zi, gi, ei = z.ravel()[bad], got.ravel()[bad], expected.ravel()[bad]
    raise Failure(f"Wrong value of {what} at z = {_num(zi)} ({z.dtype}).",
                  inputs=f"z = {_num(zi)}", expected=np.asarray(ei, dtype=z.dtype).item(), got=gi)


@check(SIGMOID_HINT)
def check_sigmoid(my_sigmoid: Callable[[np.ndarray], np.ndarray]) -> str:
    """Check ``my_sigmoid(z)``: stable, accurate to a few units, same shape and dtype as z.

    Shapes: z (any shape), float32 or float64 -> the same shape and dtype.
    """
    errors = {"overflow": OVERFLOW, "invalid": INVALID}
    for z in (Z_FLOAT64, Z_FLOAT32, _grid(np.float64), _grid(np.float32)):
        original = z.copy()
        got = _call_elementwise(my_sigmoid, z, errors)
        expect_shape(got, z.shape, inputs=f"z = {_fmt(z)}")
        if got.dtype != z.dtype:
            raise Failure(f"Wrong dtype: a {z.dtype} input must give a {z.dtype} result, got "
                          f"{got.dtype}. Keep the input's precision: use Python floats (1.0) as "
                          "constants and do not convert with astype or np.asarray(z, float).",
                          inputs=f"z = {_fmt(z)}")
        expected = _sigmoid(z.astype(np.float64))
        lost = (got == 0) & (expected > np.finfo(z.dtype).tiny)
        if lost.any():
            zt = z[lost][0]
            raise Failure(f"At z = {_num(zt)} your sigmoid returns exactly 0, but the true value "
                          f"{_sigmoid(np.float64(zt)):.4g} is a normal {z.dtype} number: the "
                          "computation lost all relative accuracy. A difference such as "
                          "1 - 1/(1 + exp(z)) rounds to 0 here; use q / (1 + q) with "
                          "q = exp(-|z|) for z < 0.", inputs=f"z = {_num(zt)}")
        deep = z <= -700
        if deep.sum() >= 2 and np.all(got[deep] == got[deep][0]) and got[deep][0] > 0:
            raise Failure(f"Your sigmoid returns the same value, {got[deep][0]:.4g}, for every z "
                          f"in {z[deep].tolist()}: it looks as if z is clipped to a 'safe' range "
                          "before the naive formula. That silences the overflow but gives wrong "
                          "tiny values; the stable form needs no clipping.",
                          inputs=f"z = {_fmt(z)}")
        _compare(got, expected, z, "sigma(z)")
        if not np.array_equal(z, original):
            raise Failure("Your function changed its input z in place; it must return a new "
                          "array and leave z alone.", inputs=f"z = {_fmt(original)}")
    z = _grid(np.float64)
    gap = np.abs(call(my_sigmoid, -z, inputs="-z") - (1.0 - call(my_sigmoid, z, inputs="z")))
    if gap.max() > ULPS * np.finfo(np.float64).eps:
        zi = z[np.argmax(gap)]
        raise Failure(f"sigma(-z) and 1 - sigma(z) differ by {gap.max():.2g} at z = {_num(zi)}, "
                      "more than rounding.", inputs=f"z = {_num(zi)}")
    return ("Your sigmoid never overflows (also at +-1e4), keeps full relative accuracy in the "
            "negative tail (z = -700 in float64, -80 in float32), keeps the shape and dtype, "
            "and satisfies sigma(-z) = 1 - sigma(z).")


@check(PRIME_HINT)
def check_sigmoid_prime(my_sigmoid_prime: Callable[[np.ndarray], np.ndarray]) -> str:
    """Check ``my_sigmoid_prime(z)``: no warnings, exactly even, accurate for large |z|.

    Shapes: z (any shape), float32 or float64 -> the same shape and dtype.
    """
    errors = {"overflow": OVERFLOW, "invalid": INVALID}
    for z in (Z_FLOAT64, Z_FLOAT32, _grid(np.float64), _grid(np.float32)):
        got = _call_elementwise(my_sigmoid_prime, z, errors)
        expect_shape(got, z.shape, inputs=f"z = {_fmt(z)}")
        if got.dtype != z.dtype:
            raise Failure(f"Wrong dtype: a {z.dtype} input must give a {z.dtype} result, got "
                          f"{got.dtype}. Use Python floats as constants and no astype.",
                          inputs=f"z = {_fmt(z)}")
        at_zero = got[z == 0]
        if at_zero.size and abs(float(at_zero[0]) - 0.5) < 1e-6:
            raise Failure("At z = 0 your function returns 0.5, which is sigma(0), not "
                          "sigma'(0) = 1/4.", inputs="z = 0.0", expected=0.25, got=at_zero[0])
        expected = _exact_prime(z)
        lost = (got == 0) & (expected > 10 * np.finfo(z.dtype).tiny) & (z > 0)
        if lost.any():
            zl = z[lost][0]
            raise Failure(f"At z = {_num(zl)} your derivative returns exactly 0, but the true "
                          f"value is {_exact_prime(np.array([zl]))[0]:.3g}. With sigma(z) rounded "
                          "to exactly 1, sigma(z) * (1 - sigma(z)) is 0 (exercise "
                          "sigmoid-ex-round-to-one). Write sigma' in terms of q = exp(-|z|): "
                          "q / (1 + q)**2.",
                          inputs=f"z = {_num(zl)}")
        _compare(got, expected, z, "sigma'(z)")
        mirrored = as_array(call(my_sigmoid_prime, -z, inputs=f"-z, z = {_fmt(z)}"),
                            inputs="-z")
        if not np.array_equal(mirrored, got):
            i = int(np.argmax(mirrored.ravel() != got.ravel()))
            zi = z.ravel()[i]
            raise Failure(f"Not exactly symmetric: my_sigmoid_prime({_num(-zi)}) = "
                          f"{_num(mirrored.ravel()[i])} but my_sigmoid_prime({_num(zi)}) = "
                          f"{_num(got.ravel()[i])}. sigma' is even: compute it from |z| only.",
                          inputs=f"z = {_num(zi)} and {_num(-zi)}")
    return ("Your derivative never overflows, is exactly symmetric, keeps full relative "
            "accuracy for large |z| (about 4.2e-18 at z = 40), and keeps the shape and dtype.")
