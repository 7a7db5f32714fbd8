"""The squared error on the softmax output, ``||p - onehot(y)||^2``: the loss that the
chapter *Training* compares with cross-entropy (section *Why cross-entropy?*).

Conventions as in :mod:`nnscratch.losses`: logits (N, C) or (C,), integer labels (N,)
or an int. The loss is the *mean* over the N samples of each sample's
``sum_c (p_c - 1[c == y])^2``; :func:`squared_error_and_grad` returns the gradient *of
that mean* with respect to the logits, so it carries the 1/N, as
``cross_entropy_and_grad`` does, and ``network.backward`` takes it unchanged.

The gradient goes through the softmax Jacobian (chapter *Softmax, cross-entropy and
their derivatives*): with ``g = dL/dp = 2 (p - onehot(y)) / N`` for a row,
``dL/dz_c = p_c (g_c - sum_j g_j p_j)``. Every entry carries a factor p_c, which is why
the gradient vanishes when the softmax is confidently wrong (p_y near 0, one other
p_c near 1).
"""

from __future__ import annotations

import numpy as np

from .losses import _check_labels, softmax

__all__ = ["squared_error", "squared_error_and_grad"]


def squared_error_and_grad(logits: np.ndarray, y: np.ndarray | int) -> tuple[float, np.ndarray]:
    """Mean of ``||softmax(z[n]) - onehot(y[n])||^2`` over the rows ``n`` of the batch, and its gradient.

    Shapes: logits (N, C), y (N,) -> (float, (N, C)); logits (C,), an int y ->
    (float, (C,)). The gradient is with respect to the logits and carries the 1/N.
    """
    squeeze = np.ndim(logits) == 1
    logits, y = _check_labels(logits, y)
    n = logits.shape[0]
    p = softmax(logits)                                    # (N, C)
    r = p.copy()
    r[np.arange(n), y] -= 1.0                              # (N, C): p - onehot(y)
    loss = float(np.sum(r * r) / n)
    g = 2.0 * r / n                                        # (N, C): dL/dp
    dz = p * (g - np.sum(g * p, axis=1, keepdims=True))    # through the softmax
    return loss, (dz[0] if squeeze else dz)


def squared_error(logits: np.ndarray, y: np.ndarray | int) -> float:
    """Mean over the batch's rows ``n`` of ``||softmax(z[n]) - onehot(y[n])||^2``. Shapes as above."""
    return squared_error_and_grad(logits, y)[0]
