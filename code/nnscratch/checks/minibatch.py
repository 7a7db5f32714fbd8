"""Checks for the exercises of the chapter *From one sample to a minibatch*.

- :func:`check_batches` for ``my_batches(n, batch_size, rng)`` (exercise ``minibatch-ex-batches``)
- :func:`check_momentum_step` for ``my_momentum_step(params, grads, velocity, lr, momentum)``
  (exercise ``minibatch-ex-momentum``)
- :func:`check_minibatch_epoch` for ``my_minibatch_epoch(params, x, y, lr, batch_size, rng)``
  (exercise ``minibatch-ex-my-loop``)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Failure, call, check, same_values, show

__all__ = ["check_batches", "check_momentum_step", "check_minibatch_epoch"]

BATCHES_HINT = "See 'Shuffling' in the chapter From one sample to a minibatch (exercise minibatch-ex-batches)."
LOOP_HINT = ("See 'The plain minibatch loop' in the chapter From one sample to a minibatch "
             "(exercise minibatch-ex-my-loop).")
MOMENTUM_HINT = "See 'Our best run' in the chapter From one sample to a minibatch (exercise minibatch-ex-momentum)."


def _epoch(fn: Callable, n: int, batch_size: int, seed: int | np.random.Generator) -> tuple[str, list[np.ndarray]]:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    inputs = f"n = {n}, batch_size = {batch_size}, rng = np.random.default_rng(...)"
    result = call(fn, n, batch_size, rng, inputs=inputs)
    try:
        batches = [np.asarray(b) for b in result]
    except TypeError:
        raise Failure(f"Your function returned {show(result)}; expected a list of index arrays.",
                      inputs=inputs) from None
    if any(b.ndim != 1 or (b.size and b.dtype.kind not in "iu") for b in batches):
        raise Failure("Each batch must be a 1-D array of integer indices.", inputs=inputs,
                      got=[show(b) for b in batches[:2]])
    return inputs, batches


@check(BATCHES_HINT)
def check_batches(my_batches: Callable[[int, int, np.random.Generator], list]) -> str:
    """Check one shuffled epoch of minibatch indices: each index once, sizes, remainder kept,
    randomness drawn from ``rng`` (reproducible with a seed, different from call to call)."""
    n, b = 103, 10
    inputs, batches = _epoch(my_batches, n, b, 0)
    everything = np.concatenate(batches) if batches else np.zeros(0, dtype=int)
    sizes = [len(x) for x in batches]
    if everything.size < n and len(set(everything.tolist())) == everything.size and sizes[-1] == b:
        raise Failure(f"The last {n % b} samples are missing: keep the remainder as a smaller last "
                      "batch (range(0, n, batch_size)), don't drop it.", inputs=inputs,
                      expected=f"batch sizes {[b] * (n // b) + [n % b]}", got=f"batch sizes {sizes}")
    if sorted(everything.tolist()) != list(range(n)):
        counts = np.bincount(everything, minlength=n) if everything.size else np.zeros(n)
        raise Failure("Not every index appears exactly once: "
                      f"{int(np.sum(counts == 0))} never, {int(np.sum(counts > 1))} more than once. "
                      "Draw one permutation (rng.permutation(n)), not independent random indices.",
                      inputs=inputs)
    if sizes[:-1] != [b] * (len(sizes) - 1) or not 0 < sizes[-1] <= b:
        raise Failure("Wrong batch sizes: all batches hold batch_size indices except the last.",
                      inputs=inputs, expected=f"{[b] * (n // b) + [n % b]}", got=f"{sizes}")
    if np.array_equal(everything, np.arange(n)):
        raise Failure("The indices come in order 0, 1, 2, ...: shuffle them with rng.permutation.",
                      inputs=inputs)
    _, again = _epoch(my_batches, n, b, 0)
    if not np.array_equal(np.concatenate(again), everything):
        raise Failure("Two generators with the same seed gave different orders: draw the order "
                      "from the rng you are given, not from np.random.", inputs=inputs)
    rng = np.random.default_rng(5)
    _, first = _epoch(my_batches, n, b, rng)
    _, second = _epoch(my_batches, n, b, rng)
    if np.array_equal(np.concatenate(first), np.concatenate(second)):
        raise Failure("Two epochs with the same generator gave the same order: each call must draw "
                      "a new permutation from rng (don't create a new generator inside).", inputs=inputs)
    return "Every index once, full batches plus the remainder, shuffled by the generator you pass."


@check(MOMENTUM_HINT)
def check_momentum_step(my_momentum_step: Callable[[dict, dict, dict, float, float], None]) -> str:
    """Check SGD with momentum over three steps: velocity = momentum * velocity - lr * g; p += velocity, all in place."""
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    want_p = {k: v.copy() for k, v in params.items()}
    want_v = {k: v.copy() for k, v in velocity.items()}
    lr, mu = 0.1, 0.9
    for step in range(3):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        for k in want_p:
            want_v[k] = mu * want_v[k] - lr * grads[k]
            want_p[k] = want_p[k] + want_v[k]
        before = {k: v.copy() for k, v in params.items()}
        inputs = f"step {step + 1} of 3 on W1 (3, 2) and b1 (2,), lr = {lr}, momentum = {mu}"
        call(my_momentum_step, params, grads, velocity, lr, mu, inputs=inputs, allow_none=True)
        for k in params:
            if same_values(params[k], want_p[k], rtol=1e-12, atol=1e-14):
                continue
            if all(np.array_equal(params[j], before[j]) for j in params):
                raise Failure("The parameters did not change: update params[name] in place "
                              "(params[name] += velocity[name]).", inputs=inputs)
            plain = before[k] - lr * grads[k]
            if step > 0 and same_values(params[k], plain, rtol=1e-12, atol=1e-14):
                raise Failure("This step is plain SGD: the velocity was not kept between steps. "
                              "Update velocity[name] in place (velocity[name] *= momentum; "
                              "velocity[name] -= lr * grads[name]); assigning to a local name v does not "
                              "change the dict.", inputs=inputs, expected=want_p[k], got=params[k])
            raise Failure(f"After this step {k} is not p + velocity with "
                          "velocity = momentum * velocity - lr * g.", inputs=inputs, expected=want_p[k], got=params[k])
    return "Three steps of momentum SGD match, velocity kept between calls."


def _reference_epoch(params: dict, x: np.ndarray, y: np.ndarray, lr: float, batch_size: int,
                     rng: np.random.Generator, *, shuffle: bool = True, keep_last: bool = True,
                     mean: bool = True) -> list[float]:
    """One epoch of plain minibatch SGD (and, with a flag off, one classic mistake)."""
    from ..network import loss_and_grads

    n = x.shape[0]
    order = rng.permutation(n) if shuffle else np.arange(n)
    stop = n if keep_last else n - n % batch_size
    losses = []
    for i in range(0, stop, batch_size):
        idx = order[i : i + batch_size]
        loss, grads = loss_and_grads(params, x[idx], y[idx])
        scale = 1.0 if mean else len(idx)
        for k in params:
            params[k] -= lr * scale * grads[k]
        losses.append(loss)
    return losses


@check(LOOP_HINT)
def check_minibatch_epoch(my_minibatch_epoch: Callable) -> str:
    """Check one epoch of plain minibatch SGD: the order from ``rng``, every batch (the last,
    smaller one included), the mean loss per batch before its step, and the parameters after.

    Shapes: params of a small net, x (M, D), y (M,) with M not a multiple of the batch size.
    """
    from ..network import copy_params, init_params

    rng = np.random.default_rng(8)
    sizes, m, b, lr = (6, 5, 4, 3), 23, 5, 0.5
    start = init_params(rng, sizes)
    for k in start:
        if k.startswith("b"):
            start[k] = rng.normal(0.0, 0.5, size=start[k].shape)
    x, y = rng.random((m, sizes[0])), rng.integers(0, sizes[-1], size=m)
    inputs = (f"a net of sizes {sizes} with non-zero biases, x (23, 6), y (23,), lr = {lr}, "
              f"batch_size = {b}, rng = np.random.default_rng(3)")
    want = copy_params(start)
    want_losses = _reference_epoch(want, x, y, lr, b, np.random.default_rng(3))
    got = copy_params(start)
    result = call(my_minibatch_epoch, got, x, y, lr, b, np.random.default_rng(3), inputs=inputs)
    try:
        got_losses = np.asarray(result, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise Failure(f"Your function returned {show(result)}; expected the list of the "
                      "batches' losses.", inputs=inputs) from None
    if all(np.array_equal(got[k], start[k]) for k in start):
        raise Failure("The parameters did not change: update params[name] in place "
                      "(params[name] -= lr * grads[name]).", inputs=inputs)
    mistakes = [
        (dict(shuffle=False), "The batches came in the order 0, 1, 2, ...: draw the epoch's "
         "order with rng.permutation(len(x)) and cut it into batches."),
        (dict(keep_last=False), f"The last {m % b} samples were dropped: keep the remainder "
         "as a smaller last batch (range(0, len(x), batch_size))."),
        (dict(mean=False), "The steps are N times too large: the gradient of the batch is the "
         "gradient of the MEAN loss (nn.loss_and_grads already divides by N)."),
    ]
    if not all(same_values(got[k], want[k], rtol=1e-9, atol=1e-12) for k in start):
        for flags, message in mistakes:
            other = copy_params(start)
            _reference_epoch(other, x, y, lr, b, np.random.default_rng(3), **flags)
            if all(same_values(got[k], other[k], rtol=1e-9, atol=1e-12) for k in start):
                raise Failure(message, inputs=inputs)
        k = next(k for k in start if not same_values(got[k], want[k], rtol=1e-9, atol=1e-12))
        raise Failure(f"After the epoch, {k} differs from plain minibatch SGD "
                      "(for each batch: nn.loss_and_grads, then p -= lr * g).",
                      inputs=inputs, expected=want[k], got=got[k])
    if got_losses.shape != (len(want_losses),):
        raise Failure(f"Return one loss per batch: {len(want_losses)} batches of at most {b}.",
                      inputs=inputs, expected=f"{len(want_losses)} losses",
                      got=f"{got_losses.size} values")
    if not same_values(got_losses, np.asarray(want_losses), rtol=1e-9, atol=1e-12):
        raise Failure("The returned losses are not each batch's mean cross-entropy before its "
                      "step.", inputs=inputs, expected=np.asarray(want_losses), got=got_losses)
    return "One shuffled epoch matches plain minibatch SGD, last smaller batch included."
