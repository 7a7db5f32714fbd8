"""Figures used throughout the book: training curves, digit grids and confusion matrices.

Every function draws on a matplotlib ``Axes`` (created if not given), labels its axes with units,
and returns the ``Figure``, so a chapter can add a title that states its finding.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .training import History

__all__ = ["setup_book_style", "smooth", "plot_curves", "show_digits", "plot_confusion", "confusion_matrix"]


def setup_book_style() -> None:
    """Matplotlib defaults shared by every chapter: readable sizes, light grid, no top/right spines.

    In a Jupyter kernel it also asks for SVG figures, which stay sharp at any zoom.
    """
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.frameon": False,
            "svg.fonttype": "path",          # glyphs as outlines: no font needed in the browser
        }
    )
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None and "IPKernelApp" in ip.config:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
    except ImportError:  # plain Python: nothing to configure
        pass


def _axes(ax, figsize=None):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` consecutive values (N,) -> (N - window + 1,).

    Per-step losses are noisy (one sample each); averaging over a window shows the trend.
    """
    values = np.asarray(values, dtype=np.float64)
    if not 1 <= window <= values.size:
        raise ValueError(f"window must lie in 1..{values.size}, got {window}")
    c = np.cumsum(np.concatenate([[0.0], values]))
    return (c[window:] - c[:-window]) / window


def plot_curves(
    histories: Sequence[History],
    window: int | None = None,
    *,
    axes=None,
    log_loss: bool = True,
):
    """Training curves of several runs on one figure.

    Left: the training loss, smoothed over ``window`` steps (default: a fiftieth of an epoch),
    against the epoch (fractional, so runs with different batch sizes share an x-axis). Right:
    test accuracy after each epoch (epoch 0 is before training). Returns the figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(histories, History):
        histories = [histories]
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    else:
        fig = axes[0].figure
    ax_loss, ax_acc = axes
    for h in histories:
        w = window or max(1, h.steps_per_epoch // 50)
        s = smooth(h.step_loss, min(w, h.step_loss.size))
        epoch_axis = (np.arange(s.size) + w) / h.steps_per_epoch
        (line,) = ax_loss.plot(epoch_axis, s, lw=1.2, label=h.label)
        if h.test_acc:
            ax_acc.plot(np.arange(len(h.test_acc)), 100.0 * np.asarray(h.test_acc), "o-",
                        color=line.get_color(), label=h.label)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (cross-entropy, nats)")
    if log_loss:
        ax_loss.set_yscale("log")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy (%)")
    ax_loss.legend(fontsize=9)
    ax_acc.legend(fontsize=9)
    fig.tight_layout()
    return fig


def show_digits(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    predicted: Sequence[int] | np.ndarray | None = None,
    ncols: int = 10,
    cmap: str = "gray_r",
):
    """A grid of digits with their labels (and predictions, if given).

    Shapes: images (K, 784) or (K, 28, 28), any scale (each is shown on its own grey range);
    labels (K,). With ``predicted``, titles read "label -> prediction" and wrong ones are red.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    k = images.shape[0]
    if images.ndim == 2:
        images = images.reshape(k, 28, 28)
    if len(labels) != k or (predicted is not None and len(predicted) != k):
        raise ValueError(f"need one label (and prediction) per image: {k} images, {len(labels)} labels")
    ncols = min(ncols, k)
    nrows = -(-k // ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=(1.0 * ncols, 1.2 * nrows), squeeze=False)
    for i, ax in enumerate(axs.flat):
        ax.axis("off")
        if i >= k:
            continue
        ax.imshow(images[i], cmap=cmap, interpolation="nearest")
        if predicted is None:
            ax.set_title(str(int(labels[i])), fontsize=10)
        else:
            wrong = int(labels[i]) != int(predicted[i])
            ax.set_title(f"{int(labels[i])}→{int(predicted[i])}", fontsize=10,
                         color="tab:red" if wrong else "black")
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts (C, C): row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    return np.bincount(num_classes * y_true + y_pred, minlength=num_classes**2).reshape(num_classes, num_classes)


def plot_confusion(y_true: np.ndarray, y_pred: np.ndarray, *, ax=None, num_classes: int = 10):
    """The confusion matrix as a heat map with the counts written in; returns the figure.

    Rows are true digits, columns predicted ones; the diagonal holds correct answers. The colour
    scale is logarithmic so the few off-diagonal mistakes stay visible beside the large diagonal.
    """
    from matplotlib.colors import LogNorm

    cm = confusion_matrix(y_true, y_pred, num_classes)
    fig, ax = _axes(ax, figsize=(6.2, 5.4))
    im = ax.imshow(np.maximum(cm, 0.5), cmap="Blues", norm=LogNorm(vmin=0.5, vmax=cm.max()))
    ax.grid(False)
    for i in range(num_classes):
        for j in range(num_classes):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 4 else "black")
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    fig.colorbar(im, ax=ax, label="number of test images (log scale)")
    return fig
