"""Is training healthy? Measurements that tell a healthy run from a sick one (chapter
*Is training healthy?*).

- :func:`pre_activation_grads`: the gradient ``dL/dz_k`` reaching every layer k, written
  out from the backward pass, so the chapter can measure how much each sigmoid layer
  shrinks it;
- :func:`gradient_sizes`: the mean per-sample norm of that gradient, one number per
  layer;
- :func:`backward_factors`: by how much ``W_k.T`` and the sigmoid's slope each change
  the gradient's size on one step down;
- :func:`update_ratios`: ``||lr dW_k|| / ||W_k||`` per layer, the relative size of one
  SGD step (cs231n's rule of thumb: about 1e-3 is healthy);
- :func:`early_stopping`: the epoch to keep, from validation scores and a patience;
- :func:`nearest_class_mean` and :func:`predict_nearest_mean`: a baseline without
  training;
- :func:`plot_first_layer`: the first layer's weight columns as 28 x 28 images.

Shapes as everywhere in the package: x (N, D), y (N,) integer labels, ``W{k}``
(n_in, n_out).
"""

from __future__ import annotations

import numpy as np

from .losses import cross_entropy_grad
from .network import Params, _n_layers, forward

__all__ = [
    "pre_activation_grads",
    "gradient_sizes",
    "backward_factors",
    "update_ratios",
    "early_stopping",
    "nearest_class_mean",
    "predict_nearest_mean",
    "plot_first_layer",
]


def pre_activation_grads(params: Params, x: np.ndarray,
                         y: np.ndarray) -> list[np.ndarray]:
    """``dL/dz_k`` for k = 1 .. n_layers, each of shape (N, n_out), for the mean loss L.

    n_out = ``params[f"W{k}"].shape[1]`` is the number of units of layer k; the list
    ``acts`` of the forward pass holds [x, a_1, ..., a_{n_layers - 1}], so ``acts[k - 1]``
    is layer k's input.

    The top one is ``(p - onehot(y)) / N``; each step down multiplies by ``W_k.T`` and
    then by the sigmoid's slope ``a (1 - a)``, which is at most 1/4 (the backward pass
    of the chapter *Backpropagation*, without the weight gradients).
    """
    n_layers = _n_layers(params)
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"need a batch x (N, D) and labels y (N,), "
                         f"got {x.shape} and {y.shape}")
    logits, acts = forward(params, x)                    # acts = [x, a_1, a_2] for 3 layers
    dz = cross_entropy_grad(logits, y)                   # (N, C): dL/dz_{n_layers}, the logits'
    grads = [dz]
    for k in range(n_layers, 1, -1):
        a = acts[k - 1]                                  # a_{k-1}, (N, D_{k-1})
        dz = (dz @ params[f"W{k}"].T) * a * (1.0 - a)    # dL/dz_{k-1}
        grads.append(dz)
    return grads[::-1]                                   # [dz_1, ..., dz_{n_layers}]


def gradient_sizes(params: Params, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean over the batch of each sample's ``||d loss_n / dz_k||``, per layer k.

    Shape (n_layers,). ``dL/dz_k`` carries the mean's 1/N, so each row times N is the
    gradient of that one sample's loss; its Euclidean norm is averaged over the N
    samples.
    """
    n = np.asarray(x).shape[0]
    return np.array([float(np.mean(np.linalg.norm(dz * n, axis=1)))
                     for dz in pre_activation_grads(params, x, y)])


def backward_factors(params: Params, x: np.ndarray,
                     y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two factors of each step down the backward pass, from layer k to k - 1.

    ``dL/dz_{k-1} = (dL/dz_k @ W_k.T) * sigma'(z_{k-1})``: returns ``(w_factor,
    sigmoid_factor)``, each of shape (n_layers - 1,), entry k - 2 for the step from
    layer k down to k - 1. ``w_factor`` is the mean per-sample norm of
    ``dL/dz_k @ W_k.T`` over that of ``dL/dz_k``; ``sigmoid_factor`` the mean norm of
    ``dL/dz_{k-1}`` over that of ``dL/dz_k @ W_k.T``, at most 1/4 since sigma' <= 1/4.
    """
    n = np.asarray(x).shape[0]
    dzs = [dz * n for dz in pre_activation_grads(params, x, y)]   # per-sample rows
    size = [float(np.mean(np.linalg.norm(dz, axis=1))) for dz in dzs]
    w_factor, sigmoid_factor = [], []
    for k in range(2, len(dzs) + 1):                       # step from layer k to k - 1
        back = dzs[k - 1] @ params[f"W{k}"].T              # (N, D_{k-1}), before sigma'
        back_size = float(np.mean(np.linalg.norm(back, axis=1)))
        w_factor.append(back_size / size[k - 1])
        sigmoid_factor.append(size[k - 2] / back_size)
    return np.array(w_factor), np.array(sigmoid_factor)


def update_ratios(params: Params, grads: Params, lr: float) -> np.ndarray:
    """``||lr dW_k|| / ||W_k||`` for every layer k (Frobenius norms), shape (n_layers,).

    How large one plain SGD step is relative to the weights it changes. cs231n's notes
    give about 1e-3 as a healthy value; far below, the layer learns slowly; far above,
    the steps are large against the weights.
    """
    n_layers = _n_layers(params)
    if not (lr > 0 and np.isfinite(lr)):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    ratios = []
    for k in range(1, n_layers + 1):
        W, dW = params[f"W{k}"], grads[f"W{k}"]
        if dW.shape != W.shape:
            raise ValueError(f"grads['W{k}'] has shape {dW.shape}, "
                             f"params['W{k}'] {W.shape}")
        norm = float(np.linalg.norm(W))
        if norm == 0.0:
            raise ValueError(f"W{k} is all zeros: the ratio is undefined "
                             "(initialise randomly)")
        ratios.append(lr * float(np.linalg.norm(dW)) / norm)
    return np.array(ratios)


def early_stopping(scores: list[float] | np.ndarray, patience: int,
                   higher_is_better: bool = True) -> tuple[int, int]:
    """Early stopping on a validation score recorded once per epoch (index 0: before
    training).

    Training stops at the first epoch that is ``patience`` epochs after the best score
    so far without beating it; the weights to keep are those of the best epoch.
    Returns ``(best_epoch, stop_epoch)``; if the patience never runs out,
    ``stop_epoch`` is the last epoch. Ties keep the earlier epoch.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)):
        raise ValueError(f"scores must be a non-empty 1-D list of finite numbers, "
                         f"got {scores!r}")
    if not (isinstance(patience, (int, np.integer)) and patience >= 1):
        raise ValueError(f"patience must be a whole number of epochs >= 1, "
                         f"got {patience!r}")
    sign = 1.0 if higher_is_better else -1.0
    best = 0
    for epoch in range(1, s.size):
        if sign * s[epoch] > sign * s[best]:
            best = epoch
        elif epoch - best >= patience:
            return best, epoch
    return best, s.size - 1


def nearest_class_mean(x: np.ndarray, y: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """The mean image of each class: x (N, D), y (N,) -> means (C, D), in float64."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"need x (N, D) and y (N,), got {x.shape} and {y.shape}")
    counts = np.bincount(y, minlength=n_classes)
    if counts.size != n_classes or np.any(counts == 0):
        raise ValueError(f"every class 0..{n_classes - 1} needs at least one image; "
                         f"counts {counts}")
    sums = np.zeros((n_classes, x.shape[1]))
    np.add.at(sums, y, x)
    return sums / counts[:, None]


def predict_nearest_mean(means: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The class whose mean image is nearest (Euclidean): x (N, D) -> (N,) integers.

    ``||x - mu_c||^2 = ||x||^2 - 2 x . mu_c + ||mu_c||^2`` (mu_c the mean image of class c); the
    first term is the same for every class, so finding the nearest class needs only the last two,
    one (N, D) @ (D, C) product.
    """
    x = np.asarray(x, dtype=np.float64)
    score = 2.0 * (x @ means.T) - np.sum(means**2, axis=1)   # (N, C): larger is nearer
    return np.argmax(score, axis=1)


def plot_first_layer(W1: np.ndarray, *, title: str | None = None, cols: int = 8):
    """The columns of ``W1`` (D, H) as H images of 28 x 28, on one symmetric colour
    scale.

    Red is a positive weight (a bright pixel there raises the unit's z), blue a
    negative one; white is 0, and the same colour means the same weight in every panel
    (a colour bar shows the scale). Returns the figure.
    """
    import matplotlib.pyplot as plt

    W1 = np.asarray(W1)
    if W1.ndim != 2 or W1.shape[0] != 784:
        raise ValueError(f"W1 must have shape (784, H), got {W1.shape}")
    h = W1.shape[1]
    rows = -(-h // cols)
    vmax = float(np.max(np.abs(W1)))
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols + 1.0, 1.1 * rows + 0.5),
                             squeeze=False)
    for j, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if j < h:
            im = ax.imshow(W1[:, j].reshape(28, 28), cmap="RdBu_r",
                           vmin=-vmax, vmax=vmax)
            ax.set_title(f"unit {j}", fontsize=8)
    bar = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8)
    bar.set_label("weight $W_{1}$ (pixel → unit)")
    if title:
        fig.suptitle(title)
    return fig
