"""Checks for the exercises of the chapter *Backpropagation and the shapes of Jacobians*.

- :func:`check_backward` for ``my_backward(params, acts, dlogits)`` (exercise
  ``backprop-ex-my-backward``)
- :func:`check_grad_check` for ``my_grad_check(f, x, h)`` (exercise ``backprop-ex-my-grad-check``)

The networks are tiny, with non-zero biases, no square weight matrix and every width different
from the batch size N, so that a transpose cannot hide behind a square shape and a bias bug cannot
hide behind zeros. :func:`check_backward` also passes one sample as 1-D arrays, where ``a.T`` is
``a`` itself: that is where ``a_in.T @ dz`` stops being an outer product.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..activations import sigmoid as _sigmoid
from ..gradcheck import rel_error
from ..losses import cross_entropy_grad as _ce_grad
from ..network import forward as _forward
from ..network import init_params as _init_params
from ._core import Failure, as_array, call, check, expect_shape, same_values, show

__all__ = ["check_backward", "check_grad_check"]

BACKWARD_HINT = ("See 'From one sample to a batch' and 'The package's backward pass' in the "
                 "chapter Backpropagation and the shapes of Jacobians (exercise "
                 "backprop-ex-my-backward).")
GRADCHECK_HINT = ("See 'Checking every parameter with finite differences' in the chapter "
                  "Backpropagation and the shapes of Jacobians (exercise "
                  "backprop-ex-my-grad-check).")


ONE_D = ("For one sample, a_in and dz are 1-D arrays of shape (n,), and .T does nothing to a "
         "1-D array: a_in.T @ dz is then the dot product of two vectors (a scalar when their "
         "lengths agree, a shape error when they do not), not the outer product of shape "
         "(n_in, n_out). Use np.outer(a_in, dz), or make both 2-D first with np.atleast_2d.")


def _problem(sizes: tuple[int, ...], n: int | None, seed: int) -> tuple[dict, list, np.ndarray]:
    """A tiny network with non-zero biases, its activations on a batch of n (or on one sample,
    1-D arrays, when n is None), and dL/dlogits."""
    rng = np.random.default_rng(seed)
    params = _init_params(rng, sizes)
    for k in params:
        if k.startswith("b"):
            params[k] = rng.normal(0.0, 0.5, size=params[k].shape)
    x = rng.normal(size=(sizes[0],) if n is None else (n, sizes[0]))     # (N, D) or (D,)
    y = rng.integers(0, sizes[-1], size=n)                               # (N,) or an int
    logits, acts = _forward(params, x)
    return params, acts, _ce_grad(logits, y)                             # dlogits carries 1/N


def _backward(params: dict, acts: list, dlogits: np.ndarray,
              through: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> dict:
    """Backpropagation with a pluggable step through the sigmoid, ``dz = through(da, a)``.

    The right step is ``da * a * (1 - a)``; the others reproduce classic mistakes, to name them.
    """
    L, dz, grads = len(params) // 2, np.atleast_2d(dlogits), {}          # one sample: N = 1
    for l in range(L, 0, -1):
        a_in = np.atleast_2d(acts[l - 1])                                # (N, n_{l-1})
        grads[f"W{l}"], grads[f"b{l}"] = a_in.T @ dz, dz.sum(axis=0)
        if l > 1:
            dz = through(dz @ params[f"W{l}"].T, a_in)
    return grads


RIGHT = lambda da, a: da * a * (1.0 - a)                                 # noqa: E731
MISTAKES = {
    "no sigmoid derivative": (lambda da, a: da,
                              "You forgot the sigmoid's derivative: going down through a hidden "
                              "layer, multiply by a * (1 - a) (dz = da * a * (1 - a))."),
    "sigma' of a": (lambda da, a: da * _sigmoid(a) * (1.0 - _sigmoid(a)),
                    "You applied sigma' to the activation a, which is already sigma(z): "
                    "sigma'(z) = a * (1 - a), no second sigmoid."),
}


def _diagnose(grads: dict, params: dict, acts: list, dlogits: np.ndarray, n: int) -> str:
    """Name the classic mistake that ``grads`` reproduces, or the first wrong parameter."""
    ref = _backward(params, acts, dlogits, RIGHT)
    if all(same_values(grads[k], ref[k] / n, rtol=1e-9, atol=1e-15) for k in ref):
        return (f"Every gradient is N = {n} times too small: you divided by N again. dlogits "
                "already carries the 1/N of the mean loss; W and b gradients are sums.")
    if all(same_values(grads[k], ref[k] / (n if k[0] == "b" else 1), rtol=1e-9, atol=1e-15)
           for k in ref):
        return ("The bias gradients are N times too small: db is the sum of dz over the batch "
                "(dz.sum(axis=0)), not the mean; dlogits already carries the 1/N.")
    for name, (through, why) in MISTAKES.items():
        wrong = _backward(params, acts, dlogits, through)
        if all(same_values(grads[k], wrong[k], rtol=1e-9, atol=1e-15) for k in ref):
            return why
    L = len(params) // 2
    for l in range(L, 0, -1):
        for k in (f"W{l}", f"b{l}"):
            if not same_values(grads[k], ref[k], rtol=1e-9, atol=1e-15):
                where = ("the top layer: dW = a_in.T @ dlogits, db = dlogits.sum(axis=0)"
                         if l == L else f"the step from layer {l + 1} down to layer {l}; "
                         f"the gradients above layer {l} are right")
                err = rel_error(grads[k], ref[k]).max()
                return f"{k} is wrong (max relative error {err:.2g}); look at {where}."
    return "The gradients are wrong."


@check(BACKWARD_HINT)
def check_backward(my_backward: Callable[[dict, list, np.ndarray], dict]) -> str:
    """Check ``my_backward(params, acts, dlogits)`` against backpropagation, for several depths.

    Shapes: params ``W{l}`` (n_{l-1}, n_l), ``b{l}`` (n_l,); acts [x (N, D), a1, ...];
    dlogits (N, C) -> a dict with the keys and shapes of params.
    """
    for sizes, n in [((5, 4, 3, 2), 6), ((5, 2), 6), ((8, 7, 5, 4, 3), 6), ((6, 5, 4, 3), None)]:
        params, acts, dlogits = _problem(sizes, n, seed=len(sizes))
        batch = f"a batch of N = {n}" if n else "one sample (acts are 1-D arrays, dlogits (C,))"
        inputs = (f"a network of sizes {sizes} with non-zero biases, {batch}, "
                  "dlogits = nn.cross_entropy_grad(logits, y)")
        before = ({k: v.copy() for k, v in params.items()}, [a.copy() for a in acts],
                  dlogits.copy())
        align = "The shapes do not line up: dW = a_in.T @ dz, da = dz @ W.T."
        if n is None:
            align += " " + ONE_D
        grads = call(my_backward, params, acts, dlogits, inputs=inputs,
                     errors={"align": align, "mismatch": align,
                             "key": "Loop over the layers of params (L = len(params) // 2), "
                                    "not a fixed three."})
        if not isinstance(grads, dict) or sorted(grads) != sorted(params):
            raise Failure(f"Expected a dict with the keys {sorted(params)}, got {show(grads)}.",
                          inputs=inputs)
        for k in params:
            g = np.asarray(grads[k]) if np.isscalar(grads[k]) else grads[k]
            g = as_array(g, inputs=inputs, what=f"an array for {k}")
            if n is None and k.startswith("W") and g.shape != params[k].shape and g.ndim < 2:
                raise Failure(f"d{k} has shape {g.shape}, expected {params[k].shape}. {ONE_D}",
                              inputs=inputs)
            if g.shape == params[k].shape[::-1] and g.ndim == 2:
                raise Failure(f"d{k} has shape {g.shape}, the transpose of {k}'s "
                              f"{params[k].shape}: dW = a_in.T @ dz, shape (n_in, n_out).",
                              inputs=inputs)
            expect_shape(g, params[k].shape, inputs=inputs,
                         why=f"Each gradient has the shape of its parameter ({k}).")
        if not (all(np.array_equal(params[k], before[0][k]) for k in params)
                and all(np.array_equal(a, b) for a, b in zip(acts, before[1]))
                and np.array_equal(dlogits, before[2])):
            raise Failure("Your function changed params, acts or dlogits in place (an in-place "
                          "operator such as *= on an input); compute new arrays instead.",
                          inputs=inputs)
        ref = _backward(params, acts, dlogits, RIGHT)
        if not all(same_values(grads[k], ref[k], rtol=1e-9, atol=1e-15) for k in ref):
            raise Failure(_diagnose(grads, params, acts, dlogits, n or 1), inputs=inputs)
    return ("Your backward pass gives every weight and bias gradient right, for networks of "
            "one, three and four layers and for one sample: a_in.T @ dz (an outer product for "
            "one sample), column sums for the biases, the sigmoid's a * (1 - a) on the way down, "
            "and no second 1/N.")


def _tricky_entries(h: float, count: int) -> np.ndarray:
    """Values around 1e-6..1e-5 for which (x + h) - h != x in float64: restoring by subtracting
    h changes them in the last bits, so only putting back the saved value is exact."""
    rng = np.random.default_rng(99)
    values = [v for v in rng.uniform(1e-6, 1e-5, 200) if (v + h) - h != v]
    return np.array(values[:count])


def _function(x: np.ndarray) -> tuple[Callable[[], float], np.ndarray]:
    """f() reading x, and its exact gradient at x: f = sum(c sin x) + sum(d x^2)/2 + x_0 x_last."""
    rng = np.random.default_rng(x.size)
    c, d = rng.uniform(0.5, 2.0, x.shape), rng.uniform(1.0, 3.0, x.shape)

    def f() -> float:
        flat = x.reshape(-1)
        return float(np.sum(c * np.sin(x)) + 0.5 * np.sum(d * x**2) + flat[0] * flat[-1])

    grad = c * np.cos(x) + d * x
    flat = grad.reshape(-1)
    flat[0] += x.reshape(-1)[-1]
    flat[-1] += x.reshape(-1)[0]
    return f, grad


@check(GRADCHECK_HINT)
def check_grad_check(my_grad_check: Callable[..., np.ndarray]) -> str:
    """Check ``my_grad_check(f, x, h)``: centred differences, x restored bit for bit, any shape.

    Shapes: x any shape (tested (2, 3) and (4,)) -> an array of x's shape.
    """
    h = 1e-5
    tricky = _tricky_entries(h, 4)
    for x in (np.array([[tricky[0], -tricky[1], 0.3], [-1.7, tricky[2], 2.2]]),
              np.array([0.9, -tricky[3], 0.05, -0.4])):
        original = x.copy()
        f, exact = _function(x)
        inputs = (f"f() = sum(c sin x) + sum(d x**2)/2 + x[first] x[last], "
                  f"x = {show(original)}, h = {h}")
        got = as_array(call(my_grad_check, f, x, h, inputs=inputs), inputs=inputs)
        if x.tobytes() != original.tobytes():
            i = np.unravel_index(int(np.argmax(x != original)), x.shape)
            moved = abs(float(x[i] - original[i]))
            why = (f"it is still perturbed (by {moved:.2g}): put each entry back after use"
                   if moved > h / 4 else "(x + h) - h is rounded, so subtracting h again does "
                   "not give back the original: save x[i] before changing it and assign the "
                   "saved value back")
            where = ", ".join(str(int(k)) for k in i)
            raise Failure(f"x is not exactly as you found it: x[{where}] was "
                          f"{float(original[i])!r} and is now {float(x[i])!r}; {why}.",
                          inputs=inputs)
        expect_shape(got, x.shape, inputs=inputs, why="One partial derivative per entry of x.")
        if np.all(got == 0):
            raise Failure("Your gradient is all zeros: f() reads the array x itself, so change "
                          "the entries of x in place (x[i] = ...), not of a copy.",
                          inputs=inputs, expected=exact, got=got)
        err = float(rel_error(got, exact).max())
        if err > 1e-7:
            one_sided = np.zeros_like(x)
            base = f()
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                one_sided[i] = (f() - base) / h
                x[i] = old
            if same_values(got, 2.0 * exact, rtol=1e-6):
                why = "Your values are twice the gradient: divide by 2h, not h."
            elif float(rel_error(got, one_sided).max()) < 1e-7:
                why = ("These are one-sided differences (f(x + h) - f(x)) / h, whose error is "
                       "of order h; use the centred (f(x + h) - f(x - h)) / (2h), error h**2.")
            else:
                why = "Entry i is (f(x + h e_i) - f(x - h e_i)) / (2h)."
            raise Failure(f"Wrong gradient (max relative error {err:.2g}). {why}",
                          inputs=inputs, expected=exact, got=got)
    return ("Your gradient check computes centred differences for arrays of any shape, "
            "perturbs x in place, and leaves x exactly as it found it, bit for bit.")
