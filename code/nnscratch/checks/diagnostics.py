"""Checks for the exercises of the chapter *Is training healthy?*.

- :func:`check_update_ratios` for ``my_update_ratios(params, grads, lr)`` (exercise
  ``diagnostics-ex-update-ratio``)
- :func:`check_early_stopping` for ``my_early_stopping(val_acc, patience)`` (exercise
  ``diagnostics-ex-early-stopping``)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Failure, as_array, call, check, same_values, show

__all__ = ["check_update_ratios", "check_early_stopping"]

RATIO_HINT = ("See 'Update-to-weight ratios and gradient sizes per layer' in the chapter Is "
              "training healthy? (exercise diagnostics-ex-update-ratio).")
STOP_HINT = ("See 'Training against validation: when to stop' in the chapter Is training "
             "healthy? (exercise diagnostics-ex-early-stopping).")


def _params(sizes: tuple[int, ...], seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    params, grads = {}, {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = rng.normal(0.0, 0.5 * k, size=(n_in, n_out))
        params[f"b{k}"] = rng.normal(size=n_out)                # biases are not in the ratio
        grads[f"W{k}"] = rng.normal(0.0, 0.01 * k, size=(n_in, n_out))
        grads[f"b{k}"] = rng.normal(size=n_out)
    return params, grads


def _ratios(params: dict, grads: dict, lr: float) -> np.ndarray:
    n = len(params) // 2
    return np.array([lr * np.linalg.norm(grads[f"W{k}"]) / np.linalg.norm(params[f"W{k}"])
                     for k in range(1, n + 1)])


@check(RATIO_HINT)
def check_update_ratios(my_update_ratios: Callable[[dict, dict, float], np.ndarray]) -> str:
    """Check ``my_update_ratios(params, grads, lr)`` -> (n_layers,) array of
    ``lr ||dW_k|| / ||W_k||`` (Frobenius norms, weights only), on 3 and 2 layers."""
    for sizes, lr, seed in (((5, 4, 3, 2), 0.3, 1), ((6, 3), 2.0, 2)):
        params, grads = _params(sizes, seed)
        before = {k: v.copy() for k, v in params.items()}
        inputs = (f"{len(sizes) - 1} layers of sizes {sizes}, W and dW random, lr = {lr}")
        errors = {"KeyError": "A layer is missing: loop over k = 1 .. len(params) // 2; do not "
                              "assume three layers."}
        got = as_array(call(my_update_ratios, params, grads, lr, inputs=inputs, errors=errors),
                       inputs=inputs, what=f"a NumPy array of one ratio per layer, shape "
                                           f"({len(sizes) - 1},)")
        want = _ratios(params, grads, lr)
        if any(not np.array_equal(params[k], before[k]) for k in params):
            raise Failure("Your function changed params: it must only measure, not update.",
                          inputs=inputs)
        if got.shape != want.shape:
            raise Failure(f"Expected one ratio per layer, shape {want.shape}, got shape "
                          f"{got.shape}. Loop over k = 1 .. len(params) // 2; do not assume "
                          "three layers.", inputs=inputs)
        if same_values(got, want, rtol=1e-10):
            continue
        no_lr = _ratios(params, grads, 1.0)
        if same_values(got, no_lr, rtol=1e-10):
            raise Failure("You left out the learning rate: the step is lr * dW, so the ratio is "
                          "lr * ||dW|| / ||W||.", inputs=inputs, expected=want, got=got)
        upside = _ratios(grads, params, 1.0)                      # ||W|| / ||dW||
        if same_values(got, lr * upside, rtol=1e-10) or same_values(got, upside / lr, rtol=1e-10):
            raise Failure("Upside down: the update's norm goes on top, ||lr dW|| / ||W||.",
                          inputs=inputs, expected=want, got=got)
        with_b = np.array([lr * np.linalg.norm(np.concatenate([grads[f"W{k}"].ravel(),
                                                                grads[f"b{k}"]]))
                           / np.linalg.norm(np.concatenate([params[f"W{k}"].ravel(),
                                                            params[f"b{k}"]]))
                           for k in range(1, len(sizes))])
        if same_values(got, with_b, rtol=1e-10):
            raise Failure("You included the biases: the ratio is about the weight matrices W_k "
                          "only.", inputs=inputs, expected=want, got=got)
        mean_abs = np.array([lr * np.abs(grads[f"W{k}"]).mean() / np.abs(params[f"W{k}"]).mean()
                             for k in range(1, len(sizes))])
        if same_values(got, mean_abs, rtol=1e-10):
            raise Failure("You used mean absolute values; the ratio uses norms, "
                          "np.linalg.norm(lr * dW) / np.linalg.norm(W).", inputs=inputs,
                          expected=want, got=got)
        raise Failure("Wrong ratios: entry k-1 must be lr * ||dW_k|| / ||W_k|| with Frobenius "
                      "norms (np.linalg.norm of the whole matrix).", inputs=inputs,
                      expected=want, got=got)
    return "One ratio per layer, lr * ||dW_k|| / ||W_k||, for 3 and 2 layers."


def _stopping(scores: list[float], patience: int) -> tuple[int, int]:
    best = 0
    for epoch in range(1, len(scores)):
        if scores[epoch] > scores[best]:
            best = epoch
        elif epoch - best >= patience:
            return best, epoch
    return best, len(scores) - 1


def _pair(result, inputs: str) -> tuple[int, int]:
    try:
        best, stop = result
        if isinstance(best, (bool, np.bool_)) or isinstance(stop, (bool, np.bool_)):
            raise TypeError
        if int(best) != best or int(stop) != stop:
            raise ValueError
        return int(best), int(stop)
    except (TypeError, ValueError):
        raise Failure(f"Your function returned {show(result)}; expected a pair of epoch "
                      "numbers (best_epoch, stop_epoch).", inputs=inputs) from None


@check(STOP_HINT)
def check_early_stopping(my_early_stopping: Callable[[list, int], tuple[int, int]]) -> str:
    """Check ``my_early_stopping(val_acc, patience)`` -> (best_epoch, stop_epoch) on score lists
    that catch an off-by-one patience, a later tie kept, and a patience that never runs out."""
    cases = [
        ([0.10, 0.50, 0.40, 0.30, 0.20, 0.90], 2),               # stops at 3; 0.90 comes too late
        ([0.10, 0.50, 0.70, 0.72, 0.71, 0.70, 0.73, 0.69], 2),   # stops at 5, best 3
        ([0.10, 0.50, 0.70, 0.72, 0.71, 0.70, 0.73, 0.69], 3),   # 0.73 arrives in time
        ([0.10, 0.60, 0.60, 0.60, 0.55], 2),                     # a tie is no improvement
        ([0.10, 0.20, 0.30, 0.40], 2),                           # never stops: last epoch
        ([0.10, 0.30, 0.20, 0.40], 1),                           # patience 1 stops at once
    ]
    for scores, patience in cases:
        inputs = f"val_acc = {scores}, patience = {patience}"
        got = _pair(call(my_early_stopping, list(scores), patience, inputs=inputs), inputs)
        want = _stopping(scores, patience)
        if got == want:
            continue
        if got == _stopping(scores, patience + 1):
            raise Failure("One epoch too late: stop as soon as `patience` epochs have passed "
                          "since the best one (epoch - best >= patience).", inputs=inputs,
                          expected=want, got=got)
        if patience > 1 and got == _stopping(scores, patience - 1):
            raise Failure("One epoch too early: `patience` epochs without improvement must "
                          "pass after the best one before you stop.", inputs=inputs,
                          expected=want, got=got)
        if got[0] == int(np.argmax(scores)) and got[0] != want[0]:
            raise Failure("You returned the best epoch of the whole list, as if training ran to "
                          "the end: early stopping only sees the epochs before it stops.",
                          inputs=inputs, expected=want, got=got)
        if got[0] > want[0] and scores[got[0]] == scores[want[0]]:
            raise Failure("A tie is not an improvement: keep the earlier epoch (use >, not >=).",
                          inputs=inputs, expected=want, got=got)
        raise Failure("Wrong (best_epoch, stop_epoch). Epoch 0 is before training; track the "
                      "best score so far and stop when `patience` epochs passed without "
                      "beating it.", inputs=inputs, expected=want, got=got)
    return "Best and stopping epochs right, ties and the end of training included."
