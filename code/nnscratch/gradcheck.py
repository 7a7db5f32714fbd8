"""Checking hand-derived gradients with centred finite differences (used in the chapters on
softmax and on backpropagation).

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h),   error O(h^2).

We compare an entry of backpropagation's gradient ``g_bp`` with finite differences' ``g_fd`` by
the relative error ``|g_bp - g_fd| / max(|g_bp| + |g_fd|, floor)``. Relative error alone fails correct code on tiny entries: the
numerical gradient carries a rounding error of order eps * L / h ~ 1e-11 whatever the entry's size,
which is a relative error of 1e-4 on an entry of 1e-7 (cs231n's caveat about comparing tiny
numbers). So :func:`check_gradients` sets the floor to ``atol / tol``: an entry passes when its
relative error is at most ``tol`` *or* its absolute error at most ``atol``. In float64 with
h = 1e-5 a correct gradient stays far below both; anything above 1e-2 is a bug (cs231n's rule of
thumb), and the range between is explained in the chapter on backpropagation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .losses import cross_entropy
from .network import Params, forward, loss_and_grads

__all__ = ["numerical_gradient", "rel_error", "GradCheck", "check_gradients"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred finite-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no arguments and reads ``x`` (which this function perturbs in place, one entry at a
    time, and restores exactly). Shapes: returns an array of x's shape. Use float64.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays, got {x.dtype}: use x.astype(np.float64)")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """Elementwise relative error ``|a - b| / max(|a| + |b|, floor)``; take ``.max()`` for a verdict."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


@dataclass
class GradCheck:
    """The result for one parameter: both gradients, the elementwise error and the verdict."""

    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray          # elementwise relative error (floor atol / tol), shape of the parameter
    tol: float
    atol: float = 0.0

    @property
    def max_error(self) -> float:
        return float(self.error.max()) if self.error.size else 0.0

    @property
    def ok(self) -> bool:
        return self.max_error <= self.tol

    def worst(self) -> tuple[int, ...]:
        """Index of the entry with the largest relative error: where to look first."""
        return tuple(int(i) for i in np.unravel_index(np.argmax(self.error), self.error.shape))

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "WRONG"
        max_abs = float(np.abs(self.analytic - self.numeric).max()) if self.error.size else 0.0
        return (f"{self.name:>4} {str(self.analytic.shape):>10}  max rel. error {self.max_error:.2e}"
                f"  max abs. error {max_abs:.1e}  {verdict}")


def check_gradients(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    grads: Params | None = None,
    h: float = 1e-5,
    tol: float = 1e-6,
    atol: float = 1e-9,
) -> dict[str, GradCheck]:
    """Compare backpropagation's gradients with finite differences for every parameter.

    An entry passes when ``|g_bp - g_fd| <= max(tol * (|g_bp| + |g_fd|), atol)``: relative error at most
    ``tol``, or absolute error at most ``atol`` (the numerical gradient's own rounding error is
    about 1e-11, so tiny entries cannot be judged relatively). That is the relative error with
    the floor ``atol / tol`` in its denominator.

    Shapes: x (N, D) float64, y (N,). Keep the net and batch tiny (each parameter entry costs two
    forward passes). ``grads`` defaults to :func:`nnscratch.loss_and_grads`; pass your own to
    check them. Returns ``{name: GradCheck}`` in parameter order.
    """
    if not (tol > 0 and atol > 0):
        raise ValueError(f"tol and atol must be positive, got tol={tol}, atol={atol}")
    if grads is None:
        _, grads = loss_and_grads(params, x, y)

    def f() -> float:
        return cross_entropy(forward(params, x)[0], y)

    out = {}
    for name, p in params.items():
        num = numerical_gradient(f, p, h)
        error = rel_error(grads[name], num, floor=atol / tol)
        out[name] = GradCheck(name, np.asarray(grads[name]), num, error, tol, atol)
    return out
