"""Training loops: the homework's per-sample SGD and minibatch SGD (chapters *Training* and
*From one sample to a minibatch*).

Both update ``params`` in place (as the homework does; pass ``copy_params(params)`` to keep the
original) and return a :class:`History` that the plotting functions take.

The per-sample loop computes what ``loss_and_grads`` on one sample followed by
``W -= lr * dW`` computes (:func:`sgd_per_sample_reference` is that plain version, and a test
checks the two agree to 1e-10), but it is written for speed: each step is a few dozen small
NumPy calls, and because about 80 % of MNIST pixels are exactly zero, the first layer only touches
the rows of W1 whose input pixel is non-zero (the zero rows of the outer product of ``x`` and ``dz``
would change nothing). The minibatch loop likewise computes what ``loss_and_grads`` computes, into work
arrays allocated once. Both fold the learning rate into the gradient of the logits, so everything
the backward pass computes from it is already a step, and both compute the sigmoid in place
(:func:`_sigmoid_inplace`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .network import Params, _n_layers, evaluate, loss_and_grads
from .progress import progress_bar
from .losses import cross_entropy_and_grad
from .network import backward, forward
from .squared_error import squared_error_and_grad

__all__ = [
    "History",
    "TrainingDiverged",
    "sgd_per_sample",
    "sgd_per_sample_reference",
    "sgd_minibatch",
    "join_histories",
    "sgd_minibatch_plain",
]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the message names the step and likely causes."""


@dataclass
class History:
    """What happened during training, for plots and for the prose.

    ``step_loss`` (S,): the loss of each step's sample or batch, computed *before* that step's
    update. Per-epoch lists have one entry per epoch *plus one for the start* (index 0 is
    before training): ``test_loss``, ``test_acc``, ``train_loss``, ``train_acc``.
    ``seconds`` holds the training time of each epoch (evaluation excluded).
    """

    label: str
    lr: float
    batch_size: int
    steps_per_epoch: int
    step_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.seconds)

    def _record(self, params: Params, x, y, x_test, y_test, record_train: bool = True) -> None:
        if record_train:
            loss, acc = evaluate(params, x, y)
            self.train_loss.append(loss)
            self.train_acc.append(acc)
        if x_test is not None:
            loss, acc = evaluate(params, x_test, y_test)
            self.test_loss.append(loss)
            self.test_acc.append(acc)


def _check_data(params: Params, x: np.ndarray, y: np.ndarray, lr: float) -> None:
    n_layers = _n_layers(params)
    if x.ndim != 2 or x.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"x must have shape (N, {params['W1'].shape[0]}), got {x.shape}")
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be integer labels of shape ({x.shape[0]},), got {y.dtype} {y.shape}")
    if np.issubdtype(x.dtype, np.integer):
        raise TypeError("x holds integers: convert pixels to floats first (load_mnist does it)")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    n_classes = params[f"W{n_layers}"].shape[1]
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")


def _diverged(step_loss: np.ndarray, start: int, steps_per_epoch: int, lr: float) -> TrainingDiverged:
    bad = start + int(np.argmax(~np.isfinite(step_loss[start:])))
    epoch, within = divmod(bad, steps_per_epoch)
    return TrainingDiverged(
        f"the training loss became {step_loss[bad]} at step {bad} (epoch {epoch + 1}, step {within} "
        f"of that epoch). Likely causes: a learning rate too large for this problem (lr={lr}; try "
        "a tenth of it), inputs that are not scaled (divide pixels by 255), or NaN/inf values in "
        "the data (check np.isfinite(x).all())."
    )


def _sigmoid_inplace(z: np.ndarray) -> np.ndarray:
    """Overwrite ``z`` with ``sigmoid(z)``, using ``sigmoid(z) = (1 + tanh(z / 2)) / 2``.

    Four in-place operations and no temporary array; ``tanh`` never overflows, so this is safe for
    any input (raw pixels included). It agrees with :func:`nnscratch.sigmoid` to about 1e-16
    absolutely, but not relatively for tiny values (in float64 it gives exactly 0 once the true
    value is below about 1e-16); training needs only the absolute accuracy. Returns ``z``.
    """
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _nonzero_by_row(x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The non-zero entries of each row of x (N, D), found in one pass.

    Returns two lists of N arrays: ``cols_of[i]`` the column indices (nnz_i,) of row i's non-zero
    entries, in increasing order, and ``vals_of[i]`` their values (nnz_i,).
    """
    rows, cols = np.nonzero(x)                         # in row order
    splits = np.cumsum(np.bincount(rows, minlength=x.shape[0]))[:-1]
    return np.split(cols, splits), np.split(x[rows, cols], splits)


def sgd_per_sample(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 3,
    lr: float = 0.003,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    label: str = "per-sample SGD",
    record_train: bool = True,
    progress: bool | None = None,
) -> History:
    """The homework's training: one sample at a time, in data-set order, ``W -= lr * dW``.

    Shapes: x (M, D) floats, y (M,) integers, M the size of the data set; x_test, y_test
    likewise (optional). One step per sample (N = 1), M steps per epoch. Updates ``params`` in place and returns the :class:`History`.
    ``record_train=False`` skips the evaluation on the whole training set after each epoch (the
    per-epoch train lists stay empty; it costs about a third of a per-sample epoch). Raises :class:`TrainingDiverged` if a loss becomes NaN or infinite.
    """
    x, y = np.asarray(x), np.asarray(y)
    _check_data(params, x, y, lr)
    n_layers = _n_layers(params)
    if n_layers < 2:
        raise ValueError("sgd_per_sample needs at least one hidden layer; for a network without "
                         "one use sgd_minibatch(..., batch_size=1, shuffle=False)")
    Ws = [params[f"W{k}"] for k in range(1, n_layers + 1)]    # views: updating them updates params
    bs = [params[f"b{k}"] for k in range(1, n_layers + 1)]
    W1, b1 = Ws[0], bs[0]
    n = x.shape[0]
    # The non-zero pixels of each sample, found once: the first layer only needs those rows of W1.
    cols_of, vals_of = _nonzero_by_row(x)
    y_list = y.tolist()
    acts = [None] * (n_layers - 1)                     # a_1 .. a_{n_layers-1} of the current sample (acts[k] is a_{k+1}: this list leaves x out)

    hist = History(label, lr, 1, n, step_loss=np.empty(epochs * n, dtype=np.float64))
    hist._record(params, x, y, x_test, y_test, record_train)
    bar = progress_bar(epochs * n, label, progress)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        for i in range(n):
            nz, xv, target = cols_of[i], vals_of[i], y_list[i]
            # forward: the first layer uses only the rows of W1 with a non-zero input
            W1_nz = W1.take(nz, axis=0)                            # (nnz, H), a copy
            z = np.dot(xv, W1_nz)                                  # (H,) = x @ W1
            z += b1
            a = acts[0] = _sigmoid_inplace(z)
            for k in range(1, n_layers - 1):
                z = np.dot(a, Ws[k])
                z += bs[k]
                a = acts[k] = _sigmoid_inplace(z)
            z = np.dot(a, Ws[-1])                                  # (C,) logits
            z += bs[-1]
            # loss and lr * dL/dz = lr * (softmax(z) - onehot(y)), from one shifted exponential
            z -= z.max()
            z_target = z[target]
            np.exp(z, out=z)
            s = z.sum()
            hist.step_loss[epoch * n + i] = math.log(s) - z_target
            dz = z
            dz *= lr / s                                           # lr * softmax
            dz[target] -= lr
            # backward: each layer's gradient uses the old weights, then the layer is updated.
            # dz already carries the factor lr, so every step below is lr * gradient.
            for k in range(n_layers - 1, 0, -1):
                a_in = acts[k - 1]                                 # (H,)
                da = np.dot(Ws[k], dz)                             # (H,) = dz @ W.T, old W
                Ws[k] -= np.dot(a_in[:, None], dz[None, :])        # lr * dW = lr * outer(a_in, dz)
                bs[k] -= dz
                da *= a_in
                da *= 1.0 - a_in                                   # through the sigmoid
                dz = da
            W1_nz -= np.dot(xv[:, None], dz[None, :])              # only rows with x_i != 0 change
            W1[nz] = W1_nz
            b1 -= dz
            if i % 2000 == 1999:
                bar.update(2000)
        hist.seconds.append(time.perf_counter() - t0)
        seg = hist.step_loss[epoch * n : (epoch + 1) * n]
        if not np.all(np.isfinite(seg)):
            bar.close()
            raise _diverged(hist.step_loss, epoch * n, n, lr)
        hist._record(params, x, y, x_test, y_test, record_train)
    bar.close()
    return hist


def sgd_per_sample_reference(
    params: Params, x: np.ndarray, y: np.ndarray, *, steps: int, lr: float = 0.003
) -> np.ndarray:
    """The plain per-sample loop, straight from the definitions (slow; for tests and teaching).

    Runs ``steps`` steps over x (M, D), y (M,) in order (wrapping around), updating ``params`` in
    place. Returns the loss of each step (steps,).
    """
    losses = np.empty(steps)
    n = x.shape[0]
    for t in range(steps):
        loss, grads = loss_and_grads(params, x[t % n], int(y[t % n]))
        losses[t] = loss
        for name in params:
            params[name] -= lr * grads[name]
    return losses


def sgd_minibatch(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 10,
    lr: float = 0.1,
    batch_size: int = 32,
    momentum: float = 0.0,
    lr_decay: float = 1.0,
    weight_decay: float = 0.0,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    label: str | None = None,
    record_train: bool = True,
    progress: bool | None = None,
) -> History:
    """Minibatch SGD: average the gradient over ``batch_size`` samples, then step.

    Shapes: x (M, D), y (M,), M the size of the data set; batches of N = batch_size rows,
    ceil(M / N) steps per epoch (the last batch may be smaller). With ``shuffle=True`` each epoch visits the samples in a new order drawn from
    ``rng`` (required then). ``momentum`` > 0 keeps a velocity per parameter (the book's ΔW),
    ``velocity = momentum * velocity - lr * g``, and steps ``param += velocity`` (0 gives plain SGD). After each epoch the learning rate is
    multiplied by ``lr_decay`` (1 keeps it constant). ``weight_decay`` adds
    ``weight_decay * W`` to the gradient of every weight matrix (a penalty on the
    squared weights, ``weight_decay / 2 * sum W**2``, added to the loss; biases are not penalised; ``step_loss`` records
    the cross-entropy alone). ``record_train=False`` skips the evaluation on the whole training
    set after each epoch. Updates ``params`` in place.

    Each step is ``loss_and_grads`` followed by the update, written out as one loop over
    arrays allocated once (a test checks it against ``loss_and_grads``).
    """
    x, y = np.asarray(x), np.asarray(y)
    _check_data(params, x, y, lr)
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("shuffle=True needs rng=np.random.default_rng(seed) to draw the order")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
    if not (0.0 < lr_decay <= 1.0 and weight_decay >= 0.0):
        raise ValueError(f"need 0 < lr_decay <= 1 and weight_decay >= 0, got {lr_decay}, {weight_decay}")
    n_layers = _n_layers(params)
    Ws = [params[f"W{k}"] for k in range(1, n_layers + 1)]    # views: updating them updates params
    bs = [params[f"b{k}"] for k in range(1, n_layers + 1)]
    n = x.shape[0]
    steps = -(-n // batch_size)
    label = label or f"minibatch SGD (N={batch_size}, lr={lr})"
    hist = History(label, lr, batch_size, steps, step_loss=np.empty(epochs * steps))
    hist._record(params, x, y, x_test, y_test, record_train)
    # Work arrays for one batch (`rows` rows: batch_size, or n if the data set is smaller), allocated once; every step
    # computes into them. Lists are 0-based: Ws[k] is W_{k+1}, outs[k] holds z_{k+1}, then a_{k+1}.
    rows, dtype = min(batch_size, n), np.result_type(x, *Ws)
    outs = [np.empty((rows, W.shape[1]), dtype) for W in Ws]         # z_{k+1}, then a_{k+1} in place
    d_outs = [np.empty((rows, W.shape[1]), dtype) for W in Ws[:-1]]  # dL/da_{k+1}, then dL/dz_{k+1}
    dWs = [np.empty(W.shape, dtype) for W in Ws]
    vWs = [np.zeros_like(W) for W in Ws]                          # momentum's velocities
    vbs = [np.zeros_like(b) for b in bs]
    all_rows = np.arange(rows)
    bar = progress_bar(epochs * steps, label, progress)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        lr_now = lr * lr_decay**epoch
        order = rng.permutation(n) if shuffle else None
        for j in range(steps):
            batch = slice(j * batch_size, (j + 1) * batch_size)
            if shuffle:
                idx = order[batch]                                 # this batch's samples
                xb, yb = x[idx], y[idx]                            # (N, D), (N,): a small copy; N = batch_size rows (fewer in the last batch)
            else:
                xb, yb = x[batch], y[batch]                        # views, no copy
            m, rows = len(yb), all_rows[: len(yb)]
            # forward: a_0 = x, z_k = a_{k-1} @ W_k + b_k, a_k = sigmoid(z_k), k = 1 .. n_layers;
            # the last z are the logits. a[k] is a_k for k < n_layers (a[0] is x); the last entry holds the logits z_3; Ws[k] is W_{k+1}
            a = [xb] + [out[:m] for out in outs]                   # a[k]: (m, sizes[k])
            for k in range(n_layers):
                np.matmul(a[k], Ws[k], out=a[k + 1])
                a[k + 1] += bs[k]
                if k < n_layers - 1:
                    _sigmoid_inplace(a[k + 1])
            # loss, and dz = lr * dL/dz_{n_layers} = lr * (softmax - onehot) / m, in place of the logits
            dz = a[n_layers]
            dz -= dz.max(axis=1, keepdims=True)                    # shift: exp cannot overflow
            z_target = dz[rows, yb]
            np.exp(dz, out=dz)
            s = dz.sum(axis=1)
            hist.step_loss[epoch * steps + j] = (np.log(s) - z_target).sum() / m
            dz /= s[:, None]                                       # softmax
            dz[rows, yb] -= 1.0
            dz *= lr_now / m
            # backward, top layer first; dz carries lr, so dW and db below are lr * gradients
            for k in range(n_layers - 1, -1, -1):
                np.matmul(a[k].T, dz, out=dWs[k])                  # lr * a_k.T @ dz = lr * dW_{k+1}
                db = dz.sum(axis=0)
                if k > 0:                                          # gradient for the layer below,
                    da = np.matmul(dz, Ws[k].T, out=d_outs[k - 1][:m])   # from the old W
                if weight_decay:
                    dWs[k] += (lr_now * weight_decay) * Ws[k]
                if momentum:
                    vWs[k] *= momentum
                    vWs[k] -= dWs[k]
                    Ws[k] += vWs[k]
                    vbs[k] *= momentum
                    vbs[k] -= db
                    bs[k] += vbs[k]
                else:
                    Ws[k] -= dWs[k]
                    bs[k] -= db
                if k > 0:
                    da *= a[k]
                    da *= 1.0 - a[k]                               # through the sigmoid
                    dz = da
        bar.update(steps)
        hist.seconds.append(time.perf_counter() - t0)
        if not np.all(np.isfinite(hist.step_loss[epoch * steps : (epoch + 1) * steps])):
            bar.close()
            raise _diverged(hist.step_loss, epoch * steps, steps, lr)
        hist._record(params, x, y, x_test, y_test, record_train)
    bar.close()
    return hist


def join_histories(first: History, then: History, label: str | None = None) -> History:
    """One :class:`History` for a run trained in two calls: ``then`` continued from where
    ``first`` stopped (same batch size). Entry 0 of ``then``'s per-epoch lists repeats the last
    entry of ``first`` and is dropped."""
    if (first.batch_size, first.steps_per_epoch) != (then.batch_size, then.steps_per_epoch):
        raise ValueError("join_histories needs two parts of one run (same batch size and data)")
    return History(
        label or first.label, first.lr, first.batch_size, first.steps_per_epoch,
        step_loss=np.concatenate([first.step_loss, then.step_loss]),
        train_loss=first.train_loss + then.train_loss[1:],
        train_acc=first.train_acc + then.train_acc[1:],
        test_loss=first.test_loss + then.test_loss[1:],
        test_acc=first.test_acc + then.test_acc[1:],
        seconds=first.seconds + then.seconds,
    )


def sgd_minibatch_plain(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 1,
    lr: float = 0.1,
    batch_size: int = 32,
    rng: np.random.Generator,
    loss: str = "cross_entropy",
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    label: str | None = None,
) -> History:
    """The plain minibatch loop, straight from the maths (for teaching and tests).

    Shapes: x (M, D), y (M,). Each epoch draws one order ``rng.permutation(M)``
    (as :func:`sgd_minibatch` does: with equal generators both visit the same
    batches) and cuts it into ceil(M / batch_size) batches of N = batch_size rows
    (the last may be smaller). A step is: forward pass, the gradient of the batch's
    mean loss with respect to the logits, backward pass, ``param -= lr * grad``.
    ``loss`` is ``"cross_entropy"`` or ``"squared_error"`` (``||p - onehot(y)||^2``
    on the softmax output). ``step_loss`` records that loss; the per-epoch
    ``test_loss`` is always the cross-entropy. Updates ``params`` in place.
    """
    losses = {"cross_entropy": cross_entropy_and_grad,
              "squared_error": squared_error_and_grad}
    if loss not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}, got {loss!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("sgd_minibatch_plain needs rng=np.random.default_rng(seed) "
                        "to draw each epoch's order")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    x, y = np.asarray(x), np.asarray(y)
    _check_data(params, x, y, lr)
    m = x.shape[0]                                              # M, the size of the data set
    steps = -(-m // batch_size)                                 # ceil(M / N)
    hist = History(label or f"plain loop ({loss}, N={batch_size}, lr={lr})", lr,
                   batch_size, steps, step_loss=np.empty(epochs * steps))
    hist._record(params, x, y, x_test, y_test, record_train=False)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(m)
        for j in range(steps):
            idx = order[j * batch_size : (j + 1) * batch_size]  # this batch's rows
            logits, acts = forward(params, x[idx])              # (N, C), [x, a1, a2]
            loss_j, dlogits = losses[loss](logits, y[idx])      # dlogits carries 1/N
            grads = backward(params, acts, dlogits)             # keys as in params
            for k in params:
                params[k] -= lr * grads[k]
            hist.step_loss[epoch * steps + j] = loss_j
        hist.seconds.append(time.perf_counter() - t0)
        if not np.all(np.isfinite(hist.step_loss[epoch * steps : (epoch + 1) * steps])):
            raise _diverged(hist.step_loss, epoch * steps, steps, lr)
        hist._record(params, x, y, x_test, y_test, record_train=False)
    return hist
