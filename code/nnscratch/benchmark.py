"""Seconds per epoch, side by side: the homework's loop, nnscratch and Keras (chapter *From one
sample to a minibatch*; ``make bench``).

Absolute times depend on the machine; the figures that matter are the *ratios*, measured in one
process on one machine, one run after another, with a fixed number of threads (``threads``: NumPy's
BLAS library through threadpoolctl, TensorFlow through its own intra- and inter-op settings).
Every entry trains the same 784-32-32-10 network from the same kind of initialisation on MNIST
scaled to [0, 1], and every entry is the fastest of the same number of timed passes (``repeats``).
Slow entries (the homework's loop, Keras at batch size 1, and in the quick version the per-sample
loop and Keras at B=32) are timed on the first ``sample`` training images and scaled to a full
epoch; per-step cost does not depend on which images are used. Keras is compiled without metrics,
so a step computes only the loss and the update, as ours does.

TensorFlow and threadpoolctl are imported only inside the functions that need them: the rest of
the package needs only NumPy.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from . import homework
from .network import SIZES, Params, copy_params, evaluate, init_params, predict
from .training import _nonzero_by_row, sgd_minibatch, sgd_per_sample

__all__ = ["Timing", "Verdict", "FLOORS", "BOUND_LIMIT", "BOUND_OF", "PRECISION", "keras_model",
           "time_homework", "time_per_sample", "time_minibatch", "time_keras", "time_products_only",
           "time_per_sample_products_only", "run_benchmark", "run_bounds", "check_floors",
           "format_table", "format_verdicts", "equal_budget_accuracy", "set_tf_threads"]


@dataclass
class Timing:
    """One row of the table: seconds for one epoch of 60,000 samples (scaled if timed on fewer)."""

    name: str
    batch_size: int
    seconds_per_epoch: float
    samples_timed: int


@dataclass
class Verdict:
    """One floor: what it compares, the measured ratio, the limit, and whether it was met."""

    text: str
    ratio: float
    limit: float
    met: bool


FLOORS = [
    # (faster entry, baseline entry, minimum ratio baseline / faster): same batch size, and for
    # the minibatch entries the same precision (float32, the precision Keras computes in)
    ("nnscratch per-sample", "Keras B=1", 20.0),
    ("nnscratch minibatch B=32 float32", "Keras B=32", 3.0),
    ("nnscratch minibatch B=128 float32", "Keras B=128", 3.0),
]
"""The per-sample entry computes in float64 and Keras B=1 in float32 (the table says so)."""

BOUND_OF = {
    "nnscratch per-sample": "products only per-sample",
    "nnscratch minibatch B=32 float32": "products only B=32 float32",
    "nnscratch minibatch B=128 float32": "products only B=128 float32",
}
"""Which products-only lower bound (:func:`run_bounds`) limits each nnscratch entry."""

BOUND_LIMIT = 3.0
"""Each entry of :data:`BOUND_OF` must take at most this many times its products-only bound."""

PRECISION = {"homework loop": "float64", "nnscratch per-sample": "float64",
             "Keras B=1": "float32", "Keras B=32": "float32", "Keras B=128": "float32"}
"""The precision of each entry whose name does not say it."""


def set_tf_threads(threads: int):
    """Import TensorFlow with ``threads`` intra-op threads and one inter-op thread; returns ``tf``.

    TensorFlow fixes its thread pools when it first runs an operation. If that has happened
    already with other settings, this raises instead of timing with a thread count nobody chose.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")   # as in the chapter (no start-up notice)
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        now = (tf.config.threading.get_intra_op_parallelism_threads(),
               tf.config.threading.get_inter_op_parallelism_threads())
        if now != (threads, 1):
            raise RuntimeError(f"TensorFlow already runs with {now[0]} intra-op and {now[1]} "
                               f"inter-op threads; restart the kernel to time with {threads}") from None
    return tf


def _fastest(run, repeats: int) -> float:
    """The shortest of ``repeats`` calls of ``run()``, each returning its seconds."""
    return min(run() for _ in range(repeats))


def time_homework(params: Params, x: np.ndarray, y: np.ndarray, sample: int = 6000,
                  repeats: int = 2) -> Timing:
    """Fastest of ``repeats`` passes of :func:`nnscratch.homework.train_epoch` over ``sample``
    images, scaled to one epoch of 60,000."""
    def run():
        W = [params[f"W{l}"].copy() for l in range(1, 4)]
        b = [params[f"b{l}"].copy() for l in range(1, 4)]
        t0 = time.perf_counter()
        homework.train_epoch(x[:sample], y[:sample], W, b)
        return time.perf_counter() - t0
    return Timing("homework loop", 1, _fastest(run, repeats) * 60_000 / sample, sample)


def time_per_sample(params: Params, x: np.ndarray, y: np.ndarray, sample: int = 60_000,
                    repeats: int = 2) -> Timing:
    """Fastest of ``repeats`` epochs of :func:`nnscratch.sgd_per_sample` over ``sample`` images
    (training only, no evaluation), scaled to 60,000."""
    def run():
        p = copy_params(params)
        return sgd_per_sample(p, x[:sample], y[:sample], epochs=1, progress=False,
                              record_train=False).seconds[0]
    return Timing("nnscratch per-sample", 1, _fastest(run, repeats) * 60_000 / sample, sample)


def time_minibatch(params: Params, x: np.ndarray, y: np.ndarray, batch_size: int,
                   rng: np.random.Generator, repeats: int = 2, dtype: type = np.float32) -> Timing:
    """Fastest of ``repeats`` epochs of :func:`nnscratch.sgd_minibatch` (shuffled) in ``dtype``."""
    p = {k: v.astype(dtype) for k, v in params.items()}
    hist = sgd_minibatch(p, x.astype(dtype, copy=False), y, epochs=repeats, lr=0.1,
                         batch_size=batch_size, rng=rng, progress=False, record_train=False)
    return Timing(f"nnscratch minibatch B={batch_size} {np.dtype(dtype).name}", batch_size,
                  min(hist.seconds) * 60_000 / x.shape[0], x.shape[0])


def keras_model(params: Params, lr: float = 0.1):
    """A Keras model of the same architecture, starting from the same weights as ``params``.

    Dense(32, sigmoid) -> Dense(32, sigmoid) -> Dense(10) on logits, sparse categorical
    cross-entropy from logits, plain SGD, no metrics: the same computation as ``nnscratch``, in
    float32. Call :func:`set_tf_threads` first to choose the thread count.
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
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def time_keras(params: Params, x: np.ndarray, y: np.ndarray, batch_size: int,
               sample: int = 60_000, repeats: int = 2) -> Timing:
    """Fastest of ``repeats`` epochs of ``model.fit`` over ``sample`` images at ``batch_size``,
    scaled to 60,000, after a warm-up that excludes TensorFlow's one-off tracing and compilation."""
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
    model.fit(xs, ys, batch_size=batch_size, epochs=repeats, verbose=0, shuffle=True,
              callbacks=[EpochTimer()])
    return Timing(f"Keras B={batch_size}", batch_size, min(seconds) * 60_000 / sample, sample)


def time_products_only(params: Params, x: np.ndarray, batch_size: int, rng: np.random.Generator,
                       dtype: type = np.float32) -> Timing:
    """A lower bound, not a trainer: one epoch of only the matrix products of minibatch SGD.

    Each step gathers its shuffled rows and does the step's eight products (three forward, three
    dW, two dz @ W.T), and nothing else: no bias, sigmoid, softmax or update, so the result is
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


def run_bounds(x: np.ndarray, *, quick: bool = False, seed: int = 0, repeats: int = 2,
               threads: int = 1) -> list[Timing]:
    """The products-only lower bounds of the entries in :data:`BOUND_OF`: per-sample (over the
    same images as its entry; ``quick`` as in :func:`run_benchmark`), and minibatch at B=32 and
    B=128 in float32, each the fastest of
    ``repeats`` epochs, with ``threads`` BLAS threads. Run it before anything imports TensorFlow,
    whose threads can linger and slow NumPy down."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    mid, big = (10_000, 30_000) if quick else (60_000, 60_000)      # as in run_benchmark
    x = x[:big].astype(np.float32, copy=False)
    timers = [lambda: time_per_sample_products_only(params, x, sample=mid),
              lambda: time_products_only(params, x, 32, rng),
              lambda: time_products_only(params, x, 128, rng)]
    with threadpool_limits(limits=threads, user_api="blas"):
        return [min((f() for _ in range(repeats)), key=lambda r: r.seconds_per_epoch) for f in timers]


def run_benchmark(x: np.ndarray, y: np.ndarray, *, quick: bool = False, seed: int = 0,
                  repeats: int = 2, threads: int = 1) -> list[Timing]:
    """Time every entry, one after another, in this process, each the fastest of ``repeats``
    timed passes, with ``threads`` threads for NumPy's BLAS and for TensorFlow.

    Shapes: x (60000, 784) scaled floats, y (60000,). ``quick`` times every entry on fewer
    samples (for the book build: the homework's loop on 1000, per-sample SGD and Keras B=32 on
    10,000, Keras B=1 on 500, the minibatch entries and Keras B=128 on 30,000); the ratios stay
    meaningful, only noisier.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    slow, mid, big = (1000, 10_000, 30_000) if quick else (6000, 60_000, 60_000)
    x32, y = x[:big].astype(np.float32, copy=False), y[:big]
    with threadpool_limits(limits=threads, user_api="blas"):
        x64 = x[:slow].astype(np.float64)
        rows = [time_homework(params, x64, y, sample=slow, repeats=repeats)]
        x64 = x[:mid].astype(np.float64)
        rows.append(time_per_sample(params, x64, y, sample=mid, repeats=repeats))
        x64 = x32.astype(np.float64)
        for B in (32, 128):
            rows.append(time_minibatch(params, x64, y, B, rng, repeats=repeats, dtype=np.float64))
            rows.append(time_minibatch(params, x32, y, B, rng, repeats=repeats))
        del x64
    set_tf_threads(threads)
    rows += [
        time_keras(params, x32, y, 1, sample=slow // 2, repeats=repeats),
        time_keras(params, x32, y, 32, sample=mid, repeats=repeats),
        time_keras(params, x32, y, 128, sample=big, repeats=repeats),
    ]
    return rows


def check_floors(rows: list[Timing], bounds: list[Timing]) -> list[Verdict]:
    """Every floor, met or missed: the ratios of :data:`FLOORS` (baseline / faster, at least the
    limit) and, for each entry of :data:`BOUND_OF`, entry / its products-only bound (at most
    :data:`BOUND_LIMIT`)."""
    t = {r.name: r.seconds_per_epoch for r in rows}
    tb = {r.name: r.seconds_per_epoch for r in bounds}
    verdicts = []
    for fast, base, need in FLOORS:
        ratio = t[base] / t[fast]
        verdicts.append(Verdict(f"{fast} vs {base}: {ratio:.2f}x faster (floor: at least {need:g}x)",
                                ratio, need, ratio >= need))
    for entry, bound in BOUND_OF.items():
        ratio = t[entry] / tb[bound]
        verdicts.append(Verdict(f"{entry}: {ratio:.2f}x its products-only bound "
                                f"(floor: at most {BOUND_LIMIT:g}x)", ratio, BOUND_LIMIT,
                                ratio <= BOUND_LIMIT))
    return verdicts


def format_verdicts(verdicts: list[Verdict]) -> tuple[str, bool]:
    """The floors as lines ``ok``/``MISS``, and whether all were met (``make bench``'s exit)."""
    lines = [f"{'ok  ' if v.met else 'MISS'} {v.text}" for v in verdicts]
    return "\n".join(lines), all(v.met for v in verdicts)


def format_table(rows: list[Timing]) -> str:
    """A plain-text table: seconds per epoch, precision, and the speed-up over each baseline."""
    base = {r.name: r.seconds_per_epoch for r in rows}
    hw = base["homework loop"]
    lines = [f"{'implementation':<36}{'precision':>10}{'s/epoch':>9}{'vs homework':>13}"
             f"{'vs Keras same B':>17}"]
    for r in rows:
        keras = base.get(f"Keras B={r.batch_size}")
        vs_keras = (f"{keras / r.seconds_per_epoch:>16.1f}x"
                    if keras and not r.name.startswith("Keras") else f"{'':>17}")
        precision = PRECISION.get(r.name, r.name.rsplit(" ", 1)[-1])
        lines.append(f"{r.name:<36}{precision:>10}{r.seconds_per_epoch:>9.2f}"
                     f"{hw / r.seconds_per_epoch:>12.1f}x{vs_keras}")
    return "\n".join(lines)


def equal_budget_accuracy(x, y, x_val, y_val, *, epochs: int = 3, batch_size: int = 128,
                          lr: float = 1.0, seed: int = 0, threads: int = 1) -> dict[str, np.ndarray]:
    """Which validation images nnscratch and Keras get right after the same training: same
    initial weights (drawn from ``seed``), same epochs, batch size and learning rate, plain SGD
    with shuffling, both in float32. Returns a boolean array (N_val,) per implementation."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, SIZES)
    ours = {k: v.astype(np.float32) for k, v in params.items()}
    x32, xv32 = x.astype(np.float32, copy=False), x_val.astype(np.float32, copy=False)
    sgd_minibatch(ours, x32, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng,
                  progress=False, record_train=False)
    set_tf_threads(threads)
    model = keras_model(params, lr=lr)
    model.fit(x32, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    keras_pred = np.argmax(model.predict(xv32, batch_size=1000, verbose=0), axis=1)
    return {"nnscratch": predict(ours, xv32) == y_val, "Keras": keras_pred == y_val}


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - exercised by `make bench`
    import argparse

    from .data import load_mnist

    parser = argparse.ArgumentParser(description="Time an epoch of every implementation.")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and for TensorFlow (default 1)")
    args = parser.parse_args(argv)
    x, y, x_test, y_test = load_mnist(dtype=np.float32)
    print(f"{args.threads} thread(s) for NumPy's BLAS and TensorFlow; every entry is the fastest "
          f"of 2 timed passes; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other work on the machine slows the entries unevenly)\n")
    bounds = run_bounds(x, threads=args.threads)   # first: before TensorFlow starts its threads
    rows = run_benchmark(x, y, threads=args.threads)
    print(format_table(rows))
    print()
    text, ok = format_verdicts(check_floors(rows, bounds))
    print(text)
    print("\nlower bounds: the same epochs with only their matrix products (and gathers), no "
          "elementwise work at all;\nno NumPy implementation can beat them on this machine")
    for r in bounds:
        print(f"  {r.name:<34}{r.seconds_per_epoch:>8.3f} s/epoch")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
