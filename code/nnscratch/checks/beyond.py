"""Checks for the exercises of the chapter *Beyond the book's recipe*.

- :func:`check_relu_backward` for ``my_relu_backward(da, a)`` (exercise ``beyond-ex-relu-backward``)
- :func:`check_adam_step` for ``my_adam_step(params, grads, m, v, t, lr, beta1, beta2, eps)``
  (exercise ``beyond-ex-adam-step``)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Failure, as_array, call, check, expect_shape, same_values

__all__ = ["check_relu_backward", "check_adam_step"]

RELU_HINT = ("See 'ReLU hidden units' in the chapter Beyond the book's recipe "
             "(exercise beyond-ex-relu-backward).")
ADAM_HINT = "See 'Adam' in the chapter Beyond the book's recipe (exercise beyond-ex-adam-step)."


@check(RELU_HINT)
def check_relu_backward(my_relu_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    """Check dz = da * relu'(z) from the ReLU's output a: active units pass da, others 0."""
    rng = np.random.default_rng(11)
    z = rng.normal(size=(4, 5))
    z[0, 0] = 0.0                                          # exactly at the kink: relu'(0) = 0
    a = np.maximum(z, 0.0)
    da = rng.normal(size=(4, 5)) + 2.0                     # mostly positive, unlike a
    want = da * (z > 0)
    inputs = "da (4, 5) and a = relu(z) (4, 5), one z exactly 0"
    got = as_array(call(my_relu_backward, da.copy(), a.copy(), inputs=inputs), inputs=inputs)
    expect_shape(got, (4, 5), inputs=inputs, why="dz has the shape of da and a.")
    if same_values(got, want):
        pass
    elif same_values(got, da * (a >= 0)):
        raise Failure("At z = 0 (a = 0) your gradient passes da through: ReLU's derivative there "
                      "is taken as 0, so use a > 0, not a >= 0.", inputs=inputs,
                      expected=want, got=got)
    elif same_values(got, (a > 0).astype(float)) or same_values(got, (z > 0) * a):
        raise Failure("Multiply the upstream gradient da by relu'(z): dz = da * relu'(z); "
                      "your result does not use da.", inputs=inputs, expected=want, got=got)
    elif same_values(got, da * a * (1.0 - a)):
        raise Failure("That is the sigmoid's derivative a (1 - a); ReLU's is 1 where a > 0 "
                      "and 0 elsewhere.", inputs=inputs, expected=want, got=got)
    else:
        raise Failure("dz is not da * relu'(z) with relu'(z) = 1 for a > 0 and 0 otherwise.",
                      inputs=inputs, expected=want, got=got)
    z32 = z.astype(np.float32)
    inputs32 = "da and a in float32, shape (4, 5)"
    got32 = as_array(call(my_relu_backward, da.astype(np.float32), np.maximum(z32, 0.0),
                          inputs=inputs32), inputs=inputs32)
    if not same_values(got32, want.astype(np.float32), rtol=1e-6):
        raise Failure("Wrong values for float32 inputs.", inputs=inputs32, expected=want, got=got32)
    return "dz = da where the unit was active (a > 0), 0 where it was not, also at z = 0."


def _adam_reference(p, m, v, g, t, lr, b1, b2, eps):
    """One Adam step on one parameter: returns the new (p, m, v)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


@check(ADAM_HINT)
def check_adam_step(my_adam_step: Callable[..., None]) -> str:
    """Check three Adam steps in place, with bias correction, on a dict of two parameters."""
    rng = np.random.default_rng(12)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2)}
    m = {k: np.zeros_like(p) for k, p in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    want = {k: (p.copy(), np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for t in (1, 2, 3):
        grads = {k: rng.normal(size=p.shape) * 10.0 ** (t - 2) for k, p in params.items()}
        before = {k: p.copy() for k, p in params.items()}
        want = {k: _adam_reference(*want[k], grads[k], t, lr, b1, b2, eps) for k in want}
        inputs = (f"step t = {t} on W1 (3, 2) and b1 (2,), lr = {lr}, beta1 = {b1}, "
                  f"beta2 = {b2}, eps = {eps}")
        call(my_adam_step, params, grads, m, v, t, lr, b1, b2, eps, inputs=inputs,
             allow_none=True)
        for k in params:
            wp, wm, wv = want[k]
            if same_values(params[k], wp, rtol=1e-10, atol=1e-13):
                continue
            if all(np.array_equal(params[j], before[j]) for j in params):
                raise Failure("The parameters did not change: update params[name] in place "
                              "(params[name] -= ...), and m[name], v[name] too (m[name] *= beta1; ...).",
                              inputs=inputs)
            if not same_values(m[k], wm, rtol=1e-10, atol=1e-13):
                raise Failure(f"m[{k!r}] is not beta1 * m + (1 - beta1) * g, kept between steps "
                              "in the dict m (update it in place).", inputs=inputs,
                              expected=wm, got=m[k])
            if not same_values(v[k], wv, rtol=1e-10, atol=1e-13):
                raise Failure(f"v[{k!r}] is not beta2 * v + (1 - beta2) * g**2, kept between "
                              "steps in the dict v.", inputs=inputs, expected=wv, got=v[k])
            no_correction = before[k] - lr * wm / (np.sqrt(wv) + eps)
            if same_values(params[k], no_correction, rtol=1e-10, atol=1e-13):
                raise Failure("The step has no bias correction: divide m by (1 - beta1**t) and "
                              "v by (1 - beta2**t) before the step.", inputs=inputs,
                              expected=wp, got=params[k])
            raise Failure(f"After this step {k} is not p - lr * m_hat / (sqrt(v_hat) + eps).",
                          inputs=inputs, expected=wp, got=params[k])
    return "Three Adam steps match, moments kept between calls, bias correction included."
