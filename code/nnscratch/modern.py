"""One step beyond the book's recipe: ReLU hidden units with He initialisation, and Adam (chapter
*Beyond the book's recipe*).

The network is the book's (``x @ W + b`` layers, softmax output, cross-entropy loss, parameters
in the dict of :mod:`nnscratch.network`), but the hidden activation is a choice:

    activation = "sigmoid":  a_k = sigma(z_k),     sigma'(z) = sigma(z) (1 - sigma(z))
    activation = "relu":     a_k = max(z_k, 0),    relu'(z) = 1 if z > 0 else 0

Both derivatives can be computed from the forward value ``a_k`` alone (for ReLU, ``z > 0``
exactly when ``a > 0``), so the forward pass keeps the same list of layer inputs as
:func:`nnscratch.forward`, and the backward pass is :func:`nnscratch.backward` with the sigmoid's
factor replaced. With ``activation="sigmoid"`` every function here computes what the package's
sigmoid functions compute (tests check it).

:func:`train` is a plain minibatch loop, one ``loss_and_grads_act`` and one update per step, with
the update either SGD (``param -= lr * grad``) or Adam (:func:`adam_step`). With ``"sigmoid"`` and
``"sgd"`` it is the same computation as :func:`nnscratch.sgd_minibatch` (same batches from the
same ``rng``; a test checks the weights agree).

Shapes as everywhere in the package: x (N, D), y (N,) integers, W_k (n_in, n_out), b_k (n_out,).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .activations import sigmoid
from .gradcheck import GradCheck, numerical_gradient, rel_error
from .losses import cross_entropy, cross_entropy_and_grad
from .network import SIZES, Params, _n_layers, affine_backward, affine_forward, init_params
from .progress import progress_bar
from .training import History, TrainingDiverged

__all__ = [
    "ACTIVATIONS",
    "relu",
    "relu_backward",
    "init_params_he",
    "init_params_for",
    "forward_act",
    "backward_act",
    "loss_and_grads_act",
    "evaluate_act",
    "check_gradients_act",
    "dead_fraction",
    "adam_step",
    "train",
]

ACTIVATIONS = ("sigmoid", "relu")


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def relu(z: np.ndarray) -> np.ndarray:
    """The rectified linear unit ``max(z, 0)``, elementwise; shape and float dtype of ``z``."""
    return np.maximum(z, 0.0)


def relu_backward(da: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Gradient through a ReLU: ``dz = da * relu'(z)``, computed from the output ``a = relu(z)``.

    Shapes: da and a (N, H) (or any shape, both alike) -> dz of that shape. ``relu'(z)`` is 1 for
    z > 0 and 0 for z < 0; at z = 0, where ReLU has no derivative, we take 0 (the usual choice).
    Since ``a > 0`` exactly when ``z > 0``, the output is enough: the gradient passes where the
    unit was active and stops where it was not.
    """
    if np.shape(da) != np.shape(a):
        raise ValueError(f"da and a must have the same shape, got {np.shape(da)} and {np.shape(a)}")
    return da * (a > 0)


def init_params_he(
    rng: np.random.Generator, sizes: tuple[int, ...] = SIZES, *, dtype: type = np.float64
) -> Params:
    """He initialisation: weights with variance ``2 / n_in``, zero biases (for ReLU layers).

    Shapes as :func:`nnscratch.init_params`: ``W{k}`` (sizes[k-1], sizes[k]), ``b{k}`` (sizes[k],).
    A ReLU zeroes the negative half of a symmetric ``z``, so ``E[a^2] = Var(z) / 2``; doubling the
    weights' variance to ``2 / n_in`` keeps ``Var(z)`` the same from layer to layer (derived in the
    chapter). As He et al. (2015) do, the first layer uses the same rule for simplicity.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive layer widths, got {sizes}")
    params: Params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = rng.normal(0.0, (2.0 / n_in) ** 0.5, size=(n_in, n_out)).astype(dtype)
        params[f"b{k}"] = np.zeros(n_out, dtype=dtype)
    return params


def init_params_for(
    activation: str, rng: np.random.Generator, sizes: tuple[int, ...] = SIZES, *,
    dtype: type = np.float64,
) -> Params:
    """Each activation with its initialisation: the book's :func:`nnscratch.init_params` for
    ``"sigmoid"``, :func:`init_params_he` for ``"relu"``."""
    _check_activation(activation)
    init = init_params if activation == "sigmoid" else init_params_he
    return init(rng, sizes, dtype=dtype)


def forward_act(
    params: Params, x: np.ndarray, activation: str = "relu"
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Forward pass with the chosen hidden activation: x (N, D) -> logits (N, C).

    Returns ``(logits, acts)`` with ``acts = [x, a_1, ..., a_{n_layers-1}]``, every layer's input,
    as :func:`nnscratch.forward` does.
    """
    _check_activation(activation)
    n_layers = _n_layers(params)
    x = np.asarray(x)
    if x.ndim != 2 or np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"x must be floats of shape (N, D), got {x.dtype} {x.shape}")
    act = sigmoid if activation == "sigmoid" else relu
    acts = [x]
    for k in range(1, n_layers):
        acts.append(act(affine_forward(acts[-1], params[f"W{k}"], params[f"b{k}"])))  # (N, H)
    logits = affine_forward(acts[-1], params[f"W{n_layers}"], params[f"b{n_layers}"])  # (N, C)
    return logits, acts


def backward_act(
    params: Params, acts: list[np.ndarray], dlogits: np.ndarray, activation: str = "relu"
) -> Params:
    """Backpropagation with the chosen hidden activation; ``dlogits`` (N, C) carries the 1/N.

    The same loop as :func:`nnscratch.backward`; only the step through the activation differs:
    ``dz = da * a * (1 - a)`` for the sigmoid, ``dz = relu_backward(da, a)`` for ReLU.
    Returns the gradients with the keys and shapes of ``params``.
    """
    _check_activation(activation)
    n_layers = _n_layers(params)
    dz = dlogits                                                           # (N, C)
    grads: Params = {}
    for k in range(n_layers, 0, -1):
        a_in = acts[k - 1]                                                 # input of layer k
        da, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dz, a_in, params[f"W{k}"],
                                                             need_dx=k > 1)
        if k > 1:
            if activation == "sigmoid":
                dz = da * a_in * (1.0 - a_in)                              # sigma' = a (1 - a)
            else:
                dz = relu_backward(da, a_in)                               # relu' is 1 where a > 0, else 0
    return {name: grads[name] for name in params}


def loss_and_grads_act(
    params: Params, x: np.ndarray, y: np.ndarray, activation: str = "relu"
) -> tuple[float, Params]:
    """Mean cross-entropy over the batch x (N, D), y (N,) and its gradient for every parameter."""
    logits, acts = forward_act(params, x, activation)
    loss, dlogits = cross_entropy_and_grad(logits, y)
    return loss, backward_act(params, acts, dlogits, activation)


def evaluate_act(
    params: Params, x: np.ndarray, y: np.ndarray, activation: str = "relu",
    batch_size: int = 10_000,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over x (N, D), y (N,), in chunks to bound memory."""
    total, correct = 0.0, 0
    for i in range(0, x.shape[0], batch_size):
        logits, _ = forward_act(params, x[i : i + batch_size], activation)
        yb = y[i : i + batch_size]
        total += cross_entropy(logits, yb) * len(yb)
        correct += int(np.sum(np.argmax(logits, axis=1) == yb))
    return total / x.shape[0], correct / x.shape[0]


def check_gradients_act(
    params: Params, x: np.ndarray, y: np.ndarray, activation: str = "relu", *,
    h: float = 1e-5, tol: float = 1e-6, atol: float = 1e-9,
) -> dict[str, GradCheck]:
    """:func:`nnscratch.check_gradients` for the chosen activation: backpropagation's gradients
    against centred finite differences (the package's :func:`nnscratch.numerical_gradient`),
    every parameter, same pass rule. Use float64 and a tiny net.

    A ReLU has a kink at 0: if some pre-activation lies within ``h`` of 0, a perturbation can
    cross it and the finite difference is wrong there, not the gradient. So this raises if any
    hidden pre-activation is that close to 0 (choose another seed or input).
    """
    _check_activation(activation)
    if activation == "relu":
        n_layers = _n_layers(params)
        a = np.asarray(x)
        for k in range(1, n_layers):
            z = affine_forward(a, params[f"W{k}"], params[f"b{k}"])
            if np.min(np.abs(z)) < 10 * h:
                raise ValueError(f"a pre-activation of layer {k} is within {10 * h:g} of ReLU's "
                                 "kink at 0; finite differences are invalid there: use another "
                                 "seed or input")
            a = relu(z)
    _, grads = loss_and_grads_act(params, x, y, activation)

    def f() -> float:
        return cross_entropy(forward_act(params, x, activation)[0], y)

    out = {}
    for name, p in params.items():
        num = numerical_gradient(f, p, h)
        out[name] = GradCheck(name, grads[name], num, rel_error(grads[name], num, atol / tol),
                              tol, atol)
    return out


def dead_fraction(params: Params, x: np.ndarray) -> list[float]:
    """For a ReLU network: per hidden layer, the fraction of units that output 0 for every row of
    x (N, D). Such a unit passes no gradient for these inputs (``relu'`` is 0), so its incoming
    weights no longer learn from them: it is *dead* on this data."""
    _, acts = forward_act(params, x, "relu")
    return [float(np.mean(np.all(a == 0, axis=0))) for a in acts[1:]]


def adam_step(
    params: Params, grads: Params, m: Params, v: Params, t: int, lr: float = 1e-3, *,
    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
) -> None:
    """One Adam step (Kingma & Ba 2015), in place on ``params``, ``m`` and ``v``.

    ``t`` is the number of this step, 1, 2, ...; ``m`` and ``v`` start as zeros, one array per
    parameter with its shape. For every parameter ``param`` with gradient ``grad``::

        m = beta1 m + (1 - beta1) grad        running mean of the gradient (its direction)
        v = beta2 v + (1 - beta2) grad**2     running mean of its square (its size)
        m_hat = m / (1 - beta1**t)            bias corrections: m and v start at 0
        v_hat = v / (1 - beta2**t)
        param -= lr * m_hat / (sqrt(v_hat) + eps)

    so each entry moves by about ``lr`` at most, whatever the scale of its gradient.
    """
    if not (isinstance(t, (int, np.integer)) and t >= 1):
        raise ValueError(f"t is the step number 1, 2, ...; got {t!r}")
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t                  # Python floats: dtype is kept
    for name in params:
        g = grads[name]
        m[name] *= beta1
        m[name] += (1.0 - beta1) * g
        v[name] *= beta2
        v[name] += (1.0 - beta2) * (g * g)
        params[name] -= lr * (m[name] / c1) / (np.sqrt(v[name] / c2) + eps)


def train(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "relu",
    optimizer: str = "sgd",
    lr: float,
    epochs: int = 1,
    batch_size: int = 32,
    rng: np.random.Generator,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    label: str | None = None,
    progress: bool | None = None,
) -> History:
    """Plain minibatch training: each epoch a new order from ``rng``, batches of ``batch_size``
    rows (the last may be smaller), one :func:`loss_and_grads_act` and one update per step.

    ``optimizer="sgd"``: ``param -= lr * grad``; ``"adam"``: :func:`adam_step` with ``beta1, beta2,
    eps``. Shapes: x (M, D) floats, y (M,) integers, the M rows of the training data; each
    step takes a batch of N = ``batch_size`` of them, ceil(M / N) steps an epoch. Updates
    ``params`` in place. Returns a :class:`nnscratch.History` whose ``test_loss`` and
    ``test_acc`` hold the loss and accuracy on ``x_val, y_val`` before training and after
    each epoch, and ``seconds`` each epoch's training time. Raises
    :class:`nnscratch.TrainingDiverged` as soon as a step's loss is not finite (the overflow
    that led there is not reported as a warning).
    """
    _check_activation(activation)
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("train needs rng=np.random.default_rng(seed) to draw each epoch's order")
    x, y = np.asarray(x), np.asarray(y)
    n_layers = _n_layers(params)
    if x.ndim != 2 or x.shape[1] != params["W1"].shape[0] or y.shape != (x.shape[0],):
        raise ValueError(f"need x (M, {params['W1'].shape[0]}) and y (M,), got {x.shape}, {y.shape}")
    n = x.shape[0]
    steps = -(-n // batch_size)
    label = label or f"{activation} + {optimizer}, lr {lr:g}"
    hist = History(label, lr, batch_size, steps, step_loss=np.empty(epochs * steps))
    m = {name: np.zeros_like(p) for name, p in params.items()}     # Adam's moments
    v = {name: np.zeros_like(p) for name, p in params.items()}

    def record() -> None:
        if x_val is not None:
            loss, acc = evaluate_act(params, x_val, y_val, activation)
            hist.test_loss.append(loss)
            hist.test_acc.append(acc)

    record()
    bar = progress_bar(epochs * steps, label, progress)
    t = 0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        for j in range(steps):
            idx = order[j * batch_size : (j + 1) * batch_size]
            with np.errstate(over="ignore", invalid="ignore"):   # divergence is caught below
                loss, grads = loss_and_grads_act(params, x[idx], y[idx], activation)
            hist.step_loss[epoch * steps + j] = loss
            if not math.isfinite(loss):
                bar.close()
                raise TrainingDiverged(
                    f"{label}: the loss became {loss} at step {j} of epoch {epoch + 1}; the "
                    f"learning rate {lr:g} is probably too large for this network (try a third)")
            t += 1
            if optimizer == "sgd":
                for name in params:
                    params[name] -= lr * grads[name]
            else:
                adam_step(params, grads, m, v, t, lr, beta1=beta1, beta2=beta2, eps=eps)
        bar.update(steps)
        hist.seconds.append(time.perf_counter() - t0)
        record()
    bar.close()
    return hist
