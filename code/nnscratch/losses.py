"""Softmax, log-softmax and the cross-entropy loss computed from logits (derived in the chapter
*Softmax, cross-entropy and their derivatives*).

Conventions: logits are a batch of rows, shape (N, C), or one sample, shape (C,). Labels are
integers, shape (N,) (or a single int for one sample). Every reduction is over the class axis
(the last one), never over the whole batch.

Where the 1/N lives: :func:`cross_entropy` returns the *mean* over the N samples, and
:func:`cross_entropy_grad` returns the gradient *of that mean*, so it carries the factor 1/N.
Backpropagation (``network.backward``) never divides by N again.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "one_hot",
    "cross_entropy",
    "cross_entropy_grad",
    "cross_entropy_and_grad",
]


def logsumexp(z: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(z)))`` over the last axis, shifted by the row maximum so ``exp`` never overflows.

    Shapes: z (N, C) -> (N,) or (N, 1) with ``keepdims``; z (C,) -> () or (1,).
    """
    z = np.asarray(z)
    m = np.max(z, axis=-1, keepdims=True)                     # (N, 1): one max per row
    out = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=-1)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, ``z - logsumexp(z)``: finite for any finite logits, even +-1e4.

    Shapes: z (N, C) -> (N, C); z (C,) -> (C,).
    """
    z = np.asarray(z)
    return z - logsumexp(z, keepdims=True)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; each row is a probability vector (non-negative, sums to 1).

    Shapes: z (N, C) -> (N, C); z (C,) -> (C,). Subtracting each row's own maximum leaves the
    result unchanged (softmax is shift-invariant) and keeps every ``exp`` at most 1.
    """
    z = np.asarray(z)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))        # (N, C), entries in (0, 1]
    return e / np.sum(e, axis=-1, keepdims=True)


def _check_labels(logits: np.ndarray, y: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``(logits as (N, C), labels as (N,) int)``."""
    logits = np.asarray(logits)
    y = np.asarray(y)
    if logits.ndim == 1:                                       # one sample
        logits = logits[None, :]
        y = y.reshape(1) if y.ndim == 0 else y
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C) or (C,), got {logits.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(
            f"labels must be integers 0..C-1 with shape (N,), got dtype {y.dtype}; "
            "pass class indices, not one-hot rows or floats"
        )
    n, c = logits.shape
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits {logits.shape}, got {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"labels must lie in 0..{c - 1}, got values from {y.min()} to {y.max()}")
    return logits, y


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (N,) -> one-hot rows (N, C) in float64. An internal detail of the loss."""
    y = np.asarray(y)
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


def cross_entropy(logits: np.ndarray, y: np.ndarray | int) -> float:
    """Mean cross-entropy of softmax(logits) against integer labels, computed from the logits.

    ``L = (1/N) * sum_n [logsumexp(z[n]) - z[n, y[n]]]``: no ``log(0)``, no clipping.

    Shapes: logits (N, C) and y (N,), or logits (C,) and an int y for one sample. Returns a float.
    """
    logits, y = _check_labels(logits, y)
    n = logits.shape[0]
    return float(np.mean(logsumexp(logits) - logits[np.arange(n), y]))


def cross_entropy_grad(logits: np.ndarray, y: np.ndarray | int) -> np.ndarray:
    """Gradient of :func:`cross_entropy` (the mean) with respect to the logits: ``(p - onehot(y)) / N``.

    Shapes: logits (N, C), y (N,) -> (N, C); logits (C,), int y -> (C,). This is the chain of the
    softmax Jacobian ``diag(p) - outer(p, p)`` with ``dL/dp = -onehot(y) / p``, which collapses to
    ``p - onehot(y)``.
    """
    squeeze = np.ndim(logits) == 1
    logits, y = _check_labels(logits, y)
    n = logits.shape[0]
    g = softmax(logits)                                         # (N, C)
    g[np.arange(n), y] -= 1.0
    g /= n
    return g[0] if squeeze else g


def cross_entropy_and_grad(logits: np.ndarray, y: np.ndarray | int) -> tuple[float, np.ndarray]:
    """:func:`cross_entropy` and :func:`cross_entropy_grad` together, sharing one log-softmax.

    Training calls this once per step. Shapes as in :func:`cross_entropy_grad`; the loss is the
    mean over the batch and the gradient carries the 1/N.
    """
    squeeze = np.ndim(logits) == 1
    loss, g = _cross_entropy_and_grad(*_check_labels(logits, y))
    return loss, (g[0] if squeeze else g)


def _cross_entropy_and_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The computation of :func:`cross_entropy_and_grad` for checked (N, C) logits and (N,) labels."""
    n = logits.shape[0]
    rows = np.arange(n)
    logp = log_softmax(logits)                                  # (N, C)
    loss = -float(np.mean(logp[rows, y]))
    g = np.exp(logp)                                            # softmax, (N, C)
    g[rows, y] -= 1.0
    g /= n
    return loss, g
