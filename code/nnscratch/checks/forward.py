"""Checks for the exercises of the chapter *Initialisation and the forward pass*.

- :func:`check_init` for ``my_init(rng, sizes)`` (exercise ``forward-ex-my-init``)
- :func:`check_forward` for ``my_forward(params, x)`` (exercise ``forward-ex-my-forward``)

Shapes as everywhere in the book: ``W{l}`` (n_in, n_out), ``b{l}`` (n_out,), a batch x (N, D).
The variance of the initial weights is judged statistically, on a layer that *widens*
(50 -> 400), where 1/max(n_in, n_out) and 1/n_in differ by a factor of 8.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..activations import sigmoid as _sigmoid
from ..losses import softmax as _softmax
from ..network import forward as _forward
from ..network import init_params as _init_params
from ._core import Failure, as_array, call, check, expect_shape, same_values, show

__all__ = ["check_init", "check_forward"]

INIT_HINT = ("See 'The book's initialisation' in the chapter Initialisation and the forward pass "
             "(exercise forward-ex-my-init).")
FORWARD_HINT = ("See 'The forward pass for one sample' and 'The forward pass for the whole data "
                "set at once' in the chapter Initialisation and the forward pass (exercise "
                "forward-ex-my-forward).")

#: Relative tolerance on a sample variance: it has relative std sqrt(2/n), below 0.015 for the
#: 20 000 weights of the widening layer, so 0.1 is more than six standard deviations.
VAR_RTOL = 0.1


def _params(fn: Callable, sizes: tuple[int, ...], seed: int) -> tuple[str, dict]:
    """Call ``my_init(rng, sizes)`` and check keys, shapes and dtypes; return (inputs, params)."""
    inputs = f"rng = np.random.default_rng({seed}), sizes = {sizes}"
    params = call(fn, np.random.default_rng(seed), sizes, inputs=inputs)
    if not isinstance(params, dict):
        raise Failure(f"Your function returned {show(params)}; expected a dict of arrays "
                      "{'W1': ..., 'b1': ..., ...}.", inputs=inputs)
    keys = [f"{p}{l}" for l in range(1, len(sizes)) for p in "Wb"]
    if sorted(params) != sorted(keys):
        raise Failure(f"Wrong keys: expected {keys}, got {sorted(params)}.", inputs=inputs)
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W = as_array(params[f"W{l}"], inputs=inputs, what=f"an array for W{l}")
        b = as_array(params[f"b{l}"], inputs=inputs, what=f"an array for b{l}")
        if W.shape == (n_out, n_in) and n_in != n_out:
            raise Failure(f"W{l} has shape {W.shape}, the transpose of (n_in, n_out) = "
                          f"{(n_in, n_out)}. In this book a layer is z = x @ W + b with rows x, "
                          "so W has shape (n_in, n_out).", inputs=inputs)
        expect_shape(W, (n_in, n_out), inputs=inputs, why=f"(W{l} is (n_in, n_out))")
        expect_shape(b, (n_out,), inputs=inputs, why=f"(b{l} is (n_out,))")
        for name, a in ((f"W{l}", W), (f"b{l}", b)):
            if a.dtype != np.float64:
                raise Failure(f"{name} has dtype {a.dtype}; expected float64.", inputs=inputs)
        if np.any(b != 0):
            raise Failure(f"b{l} is not all zeros: the biases start at zero.", inputs=inputs,
                          got=b)
    return inputs, params


@check(INIT_HINT)
def check_init(my_init: Callable[[np.random.Generator, tuple[int, ...]], dict]) -> str:
    """Check ``my_init(rng, sizes)``: W{l} (n_in, n_out) ~ N(0, 1/max(n_in, n_out)), b{l} = 0.

    Also: every random number comes from ``rng`` (same seed, same parameters).
    """
    _params(my_init, (784, 32, 32, 10), seed=0)
    sizes = (50, 400, 20)                                     # widens, then narrows
    inputs, params = _params(my_init, sizes, seed=1)
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W = params[f"W{l}"]
        target = 1.0 / max(n_in, n_out)
        var, mean = float(W.var()), float(W.mean())
        if abs(mean) > 6 * np.sqrt(var / W.size):                  # six standard errors
            raise Failure(f"W{l} has mean {mean:.3g}; the weights must have mean 0.",
                          inputs=inputs)
        if abs(var / target - 1.0) > VAR_RTOL:
            guesses = {1.0 / n_in: "1/n_in, the fan-in only", 1.0 / n_out: "1/n_out",
                       target**2: "1/max(n_in, n_out)**2: you passed the variance as "
                                  "rng.normal's scale, which is a standard deviation; pass "
                                  "its square root", 1.0: "1: the scale was left at its default",
                       2.0 / (n_in + n_out): "2/(n_in + n_out), Glorot's choice"}
            named = [why for v, why in guesses.items() if abs(var / v - 1.0) <= VAR_RTOL]
            why = f" That is {named[0]}." if named else ""
            raise Failure(f"W{l} of shape {W.shape} has sample variance {var:.3g}, expected "
                          f"1/max(n_in, n_out) = 1/{max(n_in, n_out)} = {target:.3g}.{why}",
                          inputs=inputs)
        kurtosis = float(np.mean((W - mean) ** 4) / var**2)
        if abs(kurtosis - 3.0) > 0.5:
            raise Failure(f"W{l} does not look normal (its kurtosis is {kurtosis:.2f}, a normal "
                          "distribution has 3, a uniform one 1.8): draw with rng.normal.",
                          inputs=inputs)
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    again = call(my_init, rng, sizes, inputs=inputs)
    if rng.bit_generator.state == state:
        raise Failure("Your function did not draw from the rng it was given: use rng.normal, "
                      "not np.random.normal or a Generator of your own.", inputs=inputs)
    if not all(np.array_equal(again[k], params[k]) for k in params):
        raise Failure("The same seed gave different parameters: draw every random number from "
                      "the rng that is passed in.", inputs=inputs)
    return ("Your initialisation has the right keys, shapes (n_in, n_out) and dtype, zero "
            "biases, normal weights with variance 1/max(n_in, n_out) (also in a widening "
            "layer), and draws only from the rng it is given.")


def _net(sizes: tuple[int, ...], seed: int) -> dict[str, np.ndarray]:
    """Parameters with non-zero biases, so that a forgotten bias shows."""
    rng = np.random.default_rng(seed)
    params = _init_params(rng, sizes)
    for k in params:
        if k.startswith("b"):
            params[k] = rng.normal(0.0, 0.5, size=params[k].shape)
    return params


@check(FORWARD_HINT)
def check_forward(my_forward: Callable[[dict, np.ndarray], np.ndarray]) -> str:
    """Check ``my_forward(params, x)``: logits for a batch and for one sample, at any depth.

    Shapes: x (N, D) -> (N, C); x (D,) -> (C,).
    """
    for sizes in [(6, 5, 4, 3), (6, 3), (7, 6, 5, 4, 3)]:
        params = _net(sizes, seed=len(sizes))
        x = np.random.default_rng(10 + len(sizes)).normal(size=(8, sizes[0]))  # (N, D), N = 8
        inputs = f"a network of sizes {sizes} with non-zero biases, x of shape {x.shape}"
        copies = ({k: v.copy() for k, v in params.items()}, x.copy())
        got = as_array(call(my_forward, *copies, inputs=inputs,
                            errors={"key": f"A network of sizes {sizes} has L = {len(sizes) - 1} "
                                           "layer(s): loop over range(1, len(params) // 2 + 1), do "
                                           "not assume three layers."}), inputs=inputs)
        expected, _ = _forward(params, x)
        expect_shape(got, expected.shape, inputs=inputs,
                     why="The logits are (N, C), from the last layer L = len(params) // 2, "
                         "whatever the depth.")
        if not same_values(got, expected, rtol=1e-10, atol=1e-12):
            if same_values(got, _sigmoid(expected), rtol=1e-10):
                why = ("You applied the sigmoid to the last layer too: the output layer is "
                       "linear, its z are the logits.")
            elif same_values(got, _softmax(expected), rtol=1e-10):
                why = ("You returned probabilities: the softmax belongs to the loss; return the "
                       "logits.")
            elif same_values(got, _forward({k: (v if k[0] == "W" else 0 * v)
                                            for k, v in params.items()}, x)[0], rtol=1e-10):
                why = "The biases are missing: each layer is z = a @ W + b."
            else:
                why = ("Hidden layers are a = sigmoid(a @ W + b); the last layer returns its "
                       "z = a @ W + b.")
            raise Failure(f"Wrong logits. {why}", inputs=inputs, expected=expected, got=got)
        one = x[0]                                                        # (D,)
        inputs = f"a network of sizes {sizes}, one sample x of shape {one.shape}"
        got = as_array(call(my_forward, params, one.copy(), inputs=inputs), inputs=inputs)
        expect_shape(got, expected[0].shape, inputs=inputs,
                     why="One sample (D,) gives logits (C,): a @ W works for vectors as it is.")
        if not same_values(got, expected[0], rtol=1e-10, atol=1e-12):
            raise Failure("Wrong logits for one sample.", inputs=inputs, expected=expected[0],
                          got=got)
    return ("Your forward pass gives the right logits for a batch (N, C) and for one sample "
            "(C,), with sigmoid hidden layers, biases, a linear output layer, and any depth.")
