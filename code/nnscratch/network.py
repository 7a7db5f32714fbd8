"""The network: initialisation, forward pass, backward pass, loss and accuracy (derived in the
chapters *Initialisation and the forward pass* and *Backpropagation and the shapes of Jacobians*).

Shapes, one convention everywhere: a batch is rows, ``x`` has shape (N, D); a layer is
``z = x @ W + b`` with ``W`` of shape (n_in, n_out) and ``b`` of shape (n_out,). For the book's
network D=784, H=32, C=10::

    x (N, D) -> z1 = x @ W1 + b1 (N, H) -> a1 = sigmoid(z1)
             -> z2 = a1 @ W2 + b2 (N, H) -> a2 = sigmoid(z2)
             -> z3 = a2 @ W3 + b3 (N, C) = logits -> softmax -> cross-entropy

One sample is simply a vector ``x`` of shape (D,); every function accepts it and returns vectors.
Parameters are a plain dict ``{"W1": (D, H), "b1": (H,), "W2": (H, H), ..., "W3": (H, C), "b3": (C,)}``
with one pair per layer, so other depths and widths work the same way.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid
from .losses import cross_entropy, cross_entropy_and_grad

__all__ = [
    "SIZES",
    "Params",
    "init_params",
    "copy_params",
    "affine_forward",
    "affine_backward",
    "forward",
    "backward",
    "loss_and_grads",
    "predict",
    "accuracy",
    "evaluate",
]

SIZES: tuple[int, ...] = (784, 32, 32, 10)
"""The book's network: D=784 inputs, two hidden layers of H=32 sigmoid units, C=10 classes."""

Params = dict[str, np.ndarray]


def init_params(
    rng: np.random.Generator, sizes: tuple[int, ...] = SIZES, *, dtype: type = np.float64
) -> Params:
    """Random weights with variance ``1 / max(n_in, n_out)``, zero biases.

    Shapes: ``W{k}`` (sizes[k-1], sizes[k]), ``b{k}`` (sizes[k],) for k = 1 .. len(sizes)-1.

    ``rng`` is an explicit ``numpy.random.Generator`` (create one with
    ``np.random.default_rng(seed)``), so a chapter's results repeat exactly. The variance keeps
    ``z = x @ W`` of order one when the inputs are of order one; the chapter compares it with
    other choices.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive layer widths, got {sizes}")
    params: Params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        std = (1.0 / max(n_in, n_out)) ** 0.5
        params[f"W{k}"] = rng.normal(0.0, std, size=(n_in, n_out)).astype(dtype)
        params[f"b{k}"] = np.zeros(n_out, dtype=dtype)
    return params


def copy_params(params: Params) -> Params:
    """A deep copy, so one initialisation can start several training runs."""
    return {name: v.copy() for name, v in params.items()}


def _n_layers(params: Params) -> int:
    n = len(params) // 2
    if len(params) != 2 * n or any(f"W{k}" not in params or f"b{k}" not in params for k in range(1, n + 1)):
        raise ValueError(f"params must hold W1, b1, ..., Wn, bn; got keys {sorted(params)}")
    return n


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One layer's pre-activation ``z = x @ W + b``.

    Shapes: x (N, n_in), W (n_in, n_out), b (n_out,) -> z (N, n_out). A vector x (n_in,) gives (n_out,).
    """
    if x.shape[-1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(
            f"shape mismatch in z = x @ W + b: x {x.shape}, W {W.shape}, b {b.shape}; "
            "expected x (N, n_in), W (n_in, n_out), b (n_out,)"
        )
    return x @ W + b


def affine_backward(
    dz: np.ndarray, x: np.ndarray, W: np.ndarray, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients through ``z = x @ W + b`` given the upstream gradient ``dz = dL/dz``.

    Shapes: dz (N, n_out), x (N, n_in), W (n_in, n_out) -> dx (N, n_in), dW (n_in, n_out), db (n_out,).

    ``dW = x.T @ dz`` is a sum over the batch of the outer products of the rows ``x[n]`` and ``dz[n]`` (for one
    sample it *is* the outer product); ``db`` sums ``dz`` over the batch; ``dx = dz @ W.T`` passes the
    gradient on to the layer below (skipped with ``need_dx=False`` for the input layer, where
    nobody needs it).
    """
    dW = x.T @ dz                                  # (n_in, N) @ (N, n_out) -> (n_in, n_out)
    db = dz.sum(axis=0)                            # (n_out,)
    dx = dz @ W.T if need_dx else None             # (N, n_out) @ (n_out, n_in) -> (N, n_in)
    return dx, dW, db


def forward(params: Params, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Forward pass for a batch (N, D) or one sample (D,).

    Returns ``(logits, activations)``: logits (N, C) or (C,), and the list
    ``[x, a1, ..., a_{n_layers-1}]`` of every layer's input, which :func:`backward` needs.
    Vectorised over the batch: no Python loop over samples.
    """
    n_layers = _n_layers(params)
    x = np.asarray(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (N, D) or (D,), got {x.shape}; flatten images first")
    if np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"x has integer dtype {x.dtype}: convert pixels to floats first "
            "(nnscratch.preprocess or load_mnist does it, scaled to [0, 1])"
        )
    acts = [x]
    a = x
    for k in range(1, n_layers):
        a = sigmoid(affine_forward(a, params[f"W{k}"], params[f"b{k}"]))   # (N, H)
        acts.append(a)
    logits = affine_forward(a, params[f"W{n_layers}"], params[f"b{n_layers}"])          # (N, C)
    return logits, acts


def backward(params: Params, acts: list[np.ndarray], dlogits: np.ndarray) -> Params:
    """Backpropagation: the gradient of the loss with respect to every weight and bias.

    ``dlogits`` is dL/dlogits, shape (N, C) (or (C,) for one sample), already carrying the
    loss's 1/N (see ``losses.cross_entropy_grad``). ``acts`` is the list returned by
    :func:`forward`. Returns a dict with the keys and shapes of ``params``.

    Layer by layer from the top: ``dW, db`` from :func:`affine_backward`, then through the
    sigmoid with ``dz = da * a * (1 - a)`` (``sigma' = sigma (1 - sigma)``, from the forward value).
    """
    n_layers = _n_layers(params)
    one = np.ndim(dlogits) == 1
    dz = np.atleast_2d(dlogits)                                            # (N, C)
    acts = [np.atleast_2d(a) for a in acts] if one else acts
    grads: Params = {}
    for k in range(n_layers, 0, -1):
        a_in = acts[k - 1]                                                 # input of layer k
        da, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dz, a_in, params[f"W{k}"], need_dx=k > 1)
        if k > 1:
            dz = da * a_in * (1.0 - a_in)                                  # through the sigmoid
    return {name: grads[name] for name in params}                          # same order as params


def loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray | int) -> tuple[float, Params]:
    """Mean cross-entropy over the batch and its gradient for every parameter.

    Shapes: x (N, D), y (N,) integers; or x (D,) and an int y for one sample.
    """
    logits, acts = forward(params, x)
    loss, dlogits = cross_entropy_and_grad(logits, y)
    return loss, backward(params, acts, dlogits)


def predict(params: Params, x: np.ndarray) -> np.ndarray:
    """Predicted class of each row: x (N, D) -> (N,) integers (argmax of the logits)."""
    logits, _ = forward(params, x)
    return np.argmax(logits, axis=-1)


def accuracy(params: Params, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of x (N, D) whose predicted class equals y (N,)."""
    return float(np.mean(predict(params, x) == np.asarray(y)))


def evaluate(
    params: Params, x: np.ndarray, y: np.ndarray, batch_size: int = 10_000
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole data set, x (N, D), y (N,).

    Processed in chunks of ``batch_size`` rows only to bound memory; the result is the same as one
    big batch.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"evaluate needs x (N, D) and y (N,), got {x.shape} and {y.shape}")
    total_loss, correct = 0.0, 0
    for i in range(0, x.shape[0], batch_size):
        logits, _ = forward(params, x[i : i + batch_size])
        yb = y[i : i + batch_size]
        total_loss += cross_entropy(logits, yb) * len(yb)
        correct += int(np.sum(np.argmax(logits, axis=1) == yb))
    return total_loss / x.shape[0], correct / x.shape[0]
