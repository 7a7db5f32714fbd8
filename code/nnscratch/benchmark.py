"""Seconds per epoch, side by side: the homework's loop, nnscratch and Keras (chapter *From one
sample to a minibatch*; ``make bench``).

Absolute times depend on the machine; the figures that matter are the *ratios*, measured in one
process on one machine, one run after another. Every entry trains the same 784-32-32-10 network
from the same kind of initialisation on MNIST scaled to [0, 1]. Slow entries (the homework's loop,
Keras at batch size 1) are timed on the first ``sample`` training images and scaled to a full
epoch; per-step cost does not depend on which images are used.

TensorFlow is imported only inside the Keras functions: the rest of the package needs only NumPy.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from . import homework
from .network import SIZES, Params, copy_params, evaluate, init_params
from .training import _nonzero_by_row, sgd_minibatch, sgd_per_sample

__all__ = ["Timing", "FLOORS", "keras_model", "time_homework", "time_per_sample", "time_minibatch",
           "time_keras", "time_products_only", "time_per_sample_products_only", "run_benchmark",
           "run_bounds", "BOUND_OF", "best_possible", "check_floors", "format_table", "equal_budget_accuracy"]


@dataclass
class Timing:
    """One row of the table: seconds for one epoch of 60,000 samples (scaled if timed on fewer)."""

    name: str
    batch_size: int
    seconds_per_epoch: float
    samples_timed: int


FLOORS = [
    # (faster entry, baseline entry, minimum ratio) from the speed issue
    ("nnscratch per-sample", "homework loop", 6.0),
    ("nnscratch per-sample", "Keras B=1", 20.0),
    ("nnscratch minibatch B=32 float32", "Keras B=32", 10.0),
    ("nnscratch minibatch B=128 float32", "Keras B=128", 10.0),
]
"""Minibatch entries are compared with Keras in float32, the precision Keras computes in; the
float64 rows are listed for information."""


def time_homework(params: Params, x: np.ndarray, y: np.ndarray, sample: int = 6000) -> Timing:
    """Time :func:`nnscratch.homework.train_epoch` on ``sample`` images; scale to one epoch."""
    W = [params[f"W{l}"].copy() for l in range(1, 4)]
    b = [params[f"b{l}"].copy() for l in range(1, 4)]
    t0 = time.perf_counter()
    homework.train_epoch(x[:sample], y[:sample], W, b)
    dt = time.perf_counter() - t0
    return Timing("homework loop", 1, dt * 60_000 / sample, sample)


def time_per_sample(params: Params, x: np.ndarray, y: np.ndarray, sample: int = 60_000) -> Timing:
    """Time one epoch of :func:`nnscratch.sgd_per_sample` (training only, no evaluation)."""
    hist = sgd_per_sample(copy_params(params), x[:sample], y[:sample], epochs=1, progress=False)
    return Timing("nnscratch per-sample", 1, hist.seconds[0] * 60_000 / sample, sample)


def time_minibatch(params: Params, x: np.ndarray, y: np.ndarray, batch_size: int,
                   rng: np.random.Generator, epochs: int = 2, dtype: type = np.float32) -> Timing:
    """Fastest of ``epochs`` epochs of :func:`nnscratch.sgd_minibatch` (shuffled) in ``dtype``."""
    p = {k: v.astype(dtype) for k, v in params.items()}
    hist = sgd_minibatch(p, x.astype(dtype, copy=False), y, epochs=epochs, lr=0.1,
                         batch_size=batch_size, rng=rng, progress=False)
    return Timing(f"nnscratch minibatch B={batch_size} {np.dtype(dtype).name}", batch_size,
                  min(hist.seconds) * 60_000 / x.shape[0], x.shape[0])


def keras_model(params: Params, lr: float = 0.1):
    """A Keras model of the same architecture, starting from the same weights as ``params``.

    Dense(32, sigmoid) -> Dense(32, sigmoid) -> Dense(10) on logits, sparse categorical
    cross-entropy from logits, plain SGD: the same computation as ``nnscratch``, in float32.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    layers = [tf.keras.layers.Dense(params["W1"].shape[1], activation="sigmoid"),
              tf.keras.layers.Dense(params["W2"].shape[1], activation="sigmoid"),
              tf.keras.layers.Dense(params["W3"].shape[1])]
    model = tf.keras.Sequential([tf.keras.Input(shape=(params["W1"].shape[0],)), *layers])
    for l, layer in enumerate(layers, start=1):
        layer.set_weights([params[f"W{l}"].astype(np.float32), params[f"b{l}"].astype(np.float32)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=lr),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def time_keras(params: Params, x: np.ndarray, y: np.ndarray, batch_size: int,
               sample: int = 60_000, epochs: int = 1) -> Timing:
    """Fastest of ``epochs`` epochs of ``model.fit`` at ``batch_size``, after a warm-up that
    excludes TensorFlow's one-off tracing and compilation."""
    import tensorflow as tf

    class EpochTimer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.t0)

    model = keras_model(params)
    xs, ys = x[:sample].astype(np.float32), y[:sample]
    model.fit(xs[: 2 * batch_size], ys[: 2 * batch_size], batch_size=batch_size, epochs=1, verbose=0)
    seconds: list[float] = []
    model.fit(xs, ys, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[EpochTimer()])
    return Timing(f"Keras B={batch_size}", batch_size, min(seconds) * 60_000 / sample, sample)


def time_products_only(params: Params, x: np.ndarray, batch_size: int, rng: np.random.Generator,
                       dtype: type = np.float32) -> Timing:
    """A lower bound, not a trainer: one epoch of only the matrix products of minibatch SGD.

    Each step gathers its shuffled rows and does the step's eight products (three forward, three
    dW, two dZ W^T), and nothing else: no bias, sigmoid, softmax or update, so the result is
    meaningless. No NumPy implementation of the step can be faster than this on the same machine.
    """
    Ws = [params[f"W{l}"].astype(dtype) for l in range(1, 4)]
    xs = x.astype(dtype, copy=False)
    B = batch_size
    a1, a2, z = (np.empty((B, W.shape[1]), dtype) for W in Ws)
    d1, d2 = np.empty_like(a1), np.empty_like(a2)
    g1, g2, g3 = (np.empty_like(W) for W in Ws)
    order = rng.permutation(x.shape[0])
    steps = x.shape[0] // B
    t0 = time.perf_counter()
    for j in range(steps):
        xb = xs[order[j * B:(j + 1) * B]]
        np.matmul(xb, Ws[0], out=a1)
        np.matmul(a1, Ws[1], out=a2)
        np.matmul(a2, Ws[2], out=z)
        np.matmul(a2.T, z, out=g3)
        np.matmul(z, Ws[2].T, out=d2)
        np.matmul(a1.T, d2, out=g2)
        np.matmul(d2, Ws[1].T, out=d1)
        np.matmul(xb.T, d1, out=g1)
    dt = time.perf_counter() - t0
    return Timing(f"products only B={B} {np.dtype(dtype).name}", B, dt * 60_000 / (steps * B), steps * B)


def time_per_sample_products_only(params: Params, x: np.ndarray, sample: int = 60_000) -> Timing:
    """A lower bound, not a trainer: per-sample SGD's products and nothing else.

    Each step takes W1's rows for the non-zero pixels, does the three forward and two backward
    vector-matrix products and the three outer products, and writes W1's rows back; no bias,
    sigmoid, softmax or scaling by the learning rate (the weights are not changed).
    """
    W1, W2, W3 = (params[f"W{l}"].copy() for l in range(1, 4))
    x = x[:sample]
    cols_of, vals_of = _nonzero_by_row(x)
    t0 = time.perf_counter()
    for nz, xv in zip(cols_of, vals_of):
        W1_nz = W1.take(nz, axis=0)
        a1 = np.dot(xv, W1_nz)
        a2 = np.dot(a1, W2)
        z = np.dot(a2, W3)
        d2 = np.dot(W3, z)
        d1 = np.dot(W2, d2)
        np.dot(a2[:, None], z[None, :])
        np.dot(a1[:, None], d2[None, :])
        np.dot(xv[:, None], d1[None, :])
        W1[nz] = W1_nz
    dt = time.perf_counter() - t0
    return Timing("products only per-sample", 1, dt * 60_000 / x.shape[0], x.shape[0])


BOUND_OF = {
    "nnscratch per-sample": "products only per-sample",
    "nnscratch minibatch B=32 float32": "products only B=32 float32",
    "nnscratch minibatch B=128 float32": "products only B=128 float32",
}
"""Which products-only lower bound (:func:`run_bounds`) limits each entry that has a floor."""


def best_possible(rows: list[Timing], bounds: list[Timing]) -> list[tuple[str, str, float, float]]:
    """For each floor: (faster, baseline, ratio the floor needs, largest ratio the products-only
    bound leaves possible on this machine)."""
    t = {r.name: r.seconds_per_epoch for r in rows}
    tb = {r.name: r.seconds_per_epoch for r in bounds}
    return [(a, b, need, t[b] / tb[BOUND_OF[a]]) for a, b, need in FLOORS]


def run_bounds(x: np.ndarray, seed: int = 0, repeats: int = 2) -> list[Timing]:
    """The products-only lower bounds for the three entries whose floors are set against a
    baseline: per-sample, and minibatch at B=32 and B=128 in float32. Each is the fastest of
    ``repeats`` epochs, like the minibatch entries. Run it before anything imports TensorFlow,
    whose threads can linger and slow NumPy down."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    timers = [lambda: time_per_sample_products_only(params, x),
              lambda: time_products_only(params, x, 32, rng),
              lambda: time_products_only(params, x, 128, rng)]
    return [min((f() for _ in range(repeats)), key=lambda r: r.seconds_per_epoch) for f in timers]


def run_benchmark(x: np.ndarray, y: np.ndarray, *, quick: bool = False, seed: int = 0) -> list[Timing]:
    """Time every entry, one after another, in this process.

    Shapes: x (60000, 784) scaled floats, y (60000,). ``quick`` times the slow entries on fewer
    samples (for the book build); the ratios stay meaningful, only noisier.
    """
    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    slow = 2000 if quick else 6000
    mb_epochs, keras_epochs = (2, 1) if quick else (3, 3)   # each entry: the fastest of its epochs
    x32 = x.astype(np.float32)
    return [
        time_homework(params, x, y, sample=slow),
        time_per_sample(params, x, y, sample=20_000 if quick else 60_000),
        time_minibatch(params, x, y, 32, rng, epochs=mb_epochs, dtype=np.float64),
        time_minibatch(params, x32, y, 32, rng, epochs=mb_epochs),
        time_minibatch(params, x, y, 128, rng, epochs=mb_epochs, dtype=np.float64),
        time_minibatch(params, x32, y, 128, rng, epochs=mb_epochs),
        time_keras(params, x, y, 1, sample=slow // 2),
        time_keras(params, x, y, 32, sample=20_000 if quick else 60_000, epochs=keras_epochs),
        time_keras(params, x, y, 128, epochs=keras_epochs),
    ]


def check_floors(rows: list[Timing]) -> list[tuple[str, str, float, float, bool]]:
    """Each floor as (faster, baseline, measured ratio, required ratio, met?)."""
    t = {r.name: r.seconds_per_epoch for r in rows}
    return [(a, b, t[b] / t[a], need, t[b] / t[a] >= need) for a, b, need in FLOORS]


def format_table(rows: list[Timing]) -> str:
    """A plain-text table: seconds per epoch and the speed-up over each baseline."""
    base = {r.name: r.seconds_per_epoch for r in rows}
    hw = base["homework loop"]
    lines = [f"{'implementation':<36}{'s/epoch':>9}{'vs homework':>13}{'vs Keras same B':>17}"]
    for r in rows:
        keras = base.get(f"Keras B={r.batch_size}")
        vs_keras = f"{keras / r.seconds_per_epoch:>16.1f}x" if keras and not r.name.startswith("Keras") else f"{'':>17}"
        lines.append(f"{r.name:<36}{r.seconds_per_epoch:>9.2f}{hw / r.seconds_per_epoch:>12.1f}x{vs_keras}")
    return "\n".join(lines)


def equal_budget_accuracy(x, y, x_test, y_test, *, epochs: int = 3, batch_size: int = 32,
                          lr: float = 0.1, seed: int = 0) -> dict[str, float]:
    """Test accuracy of nnscratch and Keras after the same training: same initial weights, same
    epochs, batch size and learning rate, plain SGD with shuffling."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    ours = copy_params(params)
    sgd_minibatch(ours, x, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, progress=False)
    model = keras_model(params, lr=lr)
    model.fit(x.astype(np.float32), y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    _, keras_acc = model.evaluate(x_test.astype(np.float32), y_test, verbose=0)
    return {"nnscratch": evaluate(ours, x_test, y_test)[1], "Keras": float(keras_acc)}


def main() -> int:  # pragma: no cover - exercised by `make bench`
    from .data import load_mnist

    x, y, x_test, y_test = load_mnist()
    bounds = run_bounds(x)                     # first: before TensorFlow starts its threads
    rows = run_benchmark(x, y)
    print(format_table(rows))
    print()
    ok = True
    for a, b, ratio, need, met in check_floors(rows):
        ok &= met
        print(f"{'ok  ' if met else 'MISS'} {a} vs {b}: {ratio:.2f}x (floor {need:.0f}x)")
    print("\nlower bounds: the same epochs with only their matrix products (and gathers), no "
          "elementwise work at all;\nno NumPy implementation can beat them on this machine")
    for r in bounds:
        print(f"  {r.name:<34}{r.seconds_per_epoch:>8.3f} s/epoch")
    for a, b, need, most in best_possible(rows, bounds):
        print(f"  {a} vs {b}: floor {need:.0f}x, at most {most:.1f}x possible")
    acc = equal_budget_accuracy(x, y, x_test, y_test)
    print(f"\ntest accuracy after 3 epochs of SGD, B=32, lr=0.1, same initial weights: "
          f"nnscratch {acc['nnscratch']:.4f}, Keras {acc['Keras']:.4f}")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
