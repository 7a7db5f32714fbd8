"""The logistic sigmoid and its derivative (derived in the chapter *The sigmoid and numerical
stability*).

The textbook formula ``1 / (1 + exp(-z))`` overflows for large negative ``z``: ``exp(710.)`` is
already infinite in float64 (``exp(89.)`` in float32), and NumPy warns. The chapter derives a form
that never evaluates ``exp`` of a positive number:

    sigma(z) = 1 / (1 + e)   if z >= 0,      sigma(z) = e / (1 + e)   if z < 0,      e = exp(-|z|).

Both branches share ``e = exp(-|z|)``, the exponential of a number <= 0. In exact arithmetic it lies
in (0, 1] and ``1 + e`` in (1, 2]; in float64 ``e`` underflows to 0 beyond |z| ~ 745 and ``1 + e``
rounds to 1 beyond |z| ~ 36.7, so the computed values lie in [0, 1] and [1, 2] for every ``z``,
+-inf included (NaN stays NaN). Either way nothing overflows and nothing is divided by zero. We compute ``e`` once and select with
``np.where``; ``np.where`` evaluates *both* branches for every element, which is exactly why both
branches must be safe everywhere, not only where they are selected.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "sigmoid_prime"]


def _as_float(z: np.ndarray | float) -> np.ndarray:
    """Return ``z`` as a floating array; integers (e.g. raw pixels) become float64."""
    z = np.asarray(z)
    return z if z.dtype.kind == "f" else z.astype(np.float64)


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """Numerically stable logistic sigmoid, elementwise.

    Shapes: any; the output has the shape and floating dtype of ``z`` (float32 stays float32,
    integers become float64).

    Never overflows or warns, at any input including +-inf; keeps full relative accuracy for
    large negative ``z`` (``sigmoid(-700.)`` is about 9.9e-305, not 0), and satisfies
    ``sigmoid(-z) == 1 - sigmoid(z)`` up to rounding.
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))                    # in [0, 1]: exp of a non-positive number
    s = 1.0 / (1.0 + e)                       # sigma(|z|), denominator in [1, 2]
    return np.where(z >= 0, s, e * s)         # sigma(z) for z < 0 is e / (1 + e)


def sigmoid_prime(z: np.ndarray | float) -> np.ndarray:
    """Derivative of the sigmoid, ``sigma'(z) = sigma(z) * (1 - sigma(z))``, elementwise.

    Shapes: any, as :func:`sigmoid`. Its maximum is 1/4, at ``z = 0``; it vanishes as ``|z|``
    grows, which is why saturated units (chapter *The sigmoid*) stop learning. Backpropagation
    reuses the forward activation ``a = sigma(z)`` and computes ``a * (1 - a)`` directly.

    Accurate in absolute terms (error below 2e-16), not in relative terms for large ``z``: beyond
    z ~ 36.7 ``s`` rounds to 1 and the result is 0, not q / (1 + q)**2 with q = exp(-|z|).
    Training needs only the absolute accuracy (the chapter explains why); ``q / (1 + q)**2`` keeps
    both.
    """
    s = sigmoid(z)
    return s * (1.0 - s)
