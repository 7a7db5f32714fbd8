"""The exercise checks (nnscratch.checks): right answers pass, classic wrong answers are rejected
with a message that names the mistake, and a check never raises because of the reader's code.

Each check has a right implementation and at least three deliberately wrong ones below; for each
wrong one the test asserts the words its message must contain. The book's own solutions are run
against their checks in test_solutions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import checks


@dataclass
class Case:
    """A check, implementations it must accept, and wrong ones with words their message needs."""

    check: Callable
    right: list[Callable]
    wrong: dict[str, tuple[Callable, list[str]]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# mnist


def scale_right(images):
    return images.reshape(images.shape[0], 784).astype(np.float64) / 255.0


def scale_unflattened(images):
    return images.astype(np.float64) / 255.0


def scale_by_max(images):
    return images.reshape(len(images), 784) / images.max()


def scale_in_uint8(images):
    return images.reshape(len(images), 784) // 255


def scale_not_divided(images):
    return images.reshape(len(images), 784).astype(np.float64)


def scale_columns(images):
    return images.transpose(0, 2, 1).reshape(len(images), 784) / 255.0


def scale_in_place(images):
    x = images.reshape(len(images), 784)
    np.divide(x, 255, out=x, casting="unsafe")
    return x


def scale_float32(images):
    return images.reshape(len(images), 784).astype(np.float32) / 255.0


def means_right(x, y):
    return np.stack([x[y == k].mean(axis=0) for k in range(10)])


def means_sums(x, y):
    Y = np.eye(10)[y]
    return Y.T @ x


def means_over_n(x, y):
    Y = np.eye(10)[y]
    return Y.T @ x / len(y)


def means_no_newaxis(x, y):
    Y = np.eye(10)[y]
    return (Y.T @ x) / Y.sum(axis=0)


def means_transposed(x, y):
    Y = np.eye(10)[y]
    return (x.T @ Y) / Y.sum(axis=0)


def split_right(x, y, n_val, rng):
    order = rng.permutation(len(x))
    return x[order[n_val:]], y[order[n_val:]], x[order[:n_val]], y[order[:n_val]]


def split_two_draws(x, y, n_val, rng):
    val = rng.choice(len(x), n_val, replace=False)
    train = rng.choice(len(x), len(x) - n_val, replace=False)
    return x[train], y[train], x[val], y[val]


def split_two_permutations(x, y, n_val, rng):
    ox, oy = rng.permutation(len(x)), rng.permutation(len(x))
    return x[ox[n_val:]], y[oy[n_val:]], x[ox[:n_val]], y[oy[:n_val]]


def split_global_random(x, y, n_val, rng):
    order = np.random.permutation(len(x))
    return x[order[n_val:]], y[order[n_val:]], x[order[:n_val]], y[order[:n_val]]


def split_first_rows(x, y, n_val, rng):
    return x[n_val:], y[n_val:], x[:n_val], y[:n_val]


def split_shuffle_in_place(x, y, n_val, rng):
    order = rng.permutation(len(x))
    x[:], y[:] = x[order], y[order]
    return x[n_val:], y[n_val:], x[:n_val], y[:n_val]


def split_negative_slice(x, y, n_val, rng):
    order = rng.permutation(len(x))
    return x[order[:-n_val]], y[order[:-n_val]], x[order[-n_val:]], y[order[-n_val:]]


# ---------------------------------------------------------------------------------------------
# sigmoid


def sigmoid_naive(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_where_naive(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


def sigmoid_clipped(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def sigmoid_float64(z):
    return nn.sigmoid(np.asarray(z, dtype=np.float64))


def sigmoid_subtract(z):
    """sigma(z) = 1 - sigma(-z) for z < 0: stable, but 0 in the negative tail."""
    s = nn.sigmoid(np.abs(z))
    return np.where(z >= 0, s, 1.0 - s)


def sigmoid_masks(z):
    """A right answer with boolean masks instead of np.where."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def prime_right(z):
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def prime_s_one_minus_s(z):
    s = nn.sigmoid(z)
    return s * (1.0 - s)


def prime_naive(z):
    return np.exp(-z) / (1.0 + np.exp(-z)) ** 2


def prime_float64(z):
    e = np.exp(-np.abs(np.asarray(z, dtype=np.float64)))
    return e / (1.0 + e) ** 2


def prime_is_sigmoid(z):
    return nn.sigmoid(z)


def prime_product(z):
    """A right answer: sigma(z) sigma(-z), accurate and exactly even (the product commutes)."""
    return nn.sigmoid(z) * nn.sigmoid(-z)


# ---------------------------------------------------------------------------------------------
# softmax


def softmax_no_shift(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_global_sum(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum()


def softmax_axis0(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_no_keepdims(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


def softmax_no_keepdims_square_only(z):
    """Silently wrong when N = C, fails loudly otherwise: reported either way."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    s = e.sum(axis=-1)
    return e / (s if z.shape[0] == z.shape[1] else s[:, None])


def ce_right(logits, y):
    return nn.cross_entropy(logits, y)


def ce_log_softmax(logits, y):
    p = nn.softmax(logits)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


def ce_clipped(logits, y):
    p = np.clip(nn.softmax(logits), 1e-12, 1.0)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


def ce_sum(logits, y):
    return float(np.sum(nn.logsumexp(logits) - logits[np.arange(len(y)), y]))


def ce_columns(logits, y):
    return float(np.mean(nn.logsumexp(logits) - logits[:, y]))


def ce_unshifted(logits, y):
    lse = np.log(np.sum(np.exp(logits), axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))


def ce_global_max(logits, y):
    m = np.max(logits)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))


def ce_per_sample(logits, y):
    return nn.logsumexp(logits) - logits[np.arange(len(y)), y]


def grad_right(logits, y):
    return nn.cross_entropy_grad(logits, y)


def grad_no_mean(logits, y):
    return nn.cross_entropy_grad(logits, y) * len(y)


def grad_twice(logits, y):
    return nn.cross_entropy_grad(logits, y) / len(y)


def grad_transposed(logits, y):
    return nn.cross_entropy_grad(logits, y).T


def grad_sign(logits, y):
    return -nn.cross_entropy_grad(logits, y)


def grad_unshifted(logits, y):
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


def grad_global_max(logits, y):
    e = np.exp(logits - logits.max())
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


# ---------------------------------------------------------------------------------------------
# forward


def init_right(rng, sizes):
    return nn.init_params(rng, tuple(sizes))


def _init(rng, sizes, var, transpose=False, draw=None):
    params = {}
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        shape = (n_out, n_in) if transpose else (n_in, n_out)
        params[f"W{l}"] = (draw or rng.normal)(0.0, np.sqrt(var(n_in, n_out)), size=shape)
        params[f"b{l}"] = np.zeros(n_out)
    return params


def init_fan_in(rng, sizes):
    return _init(rng, sizes, lambda n_in, n_out: 1.0 / n_in)


def init_scale_is_variance(rng, sizes):
    return _init(rng, sizes, lambda n_in, n_out: (1.0 / max(n_in, n_out)) ** 2)


def init_global_random(rng, sizes):
    return _init(rng, sizes, lambda n_in, n_out: 1.0 / max(n_in, n_out), draw=np.random.normal)


def init_transposed(rng, sizes):
    return _init(rng, sizes, lambda n_in, n_out: 1.0 / max(n_in, n_out), transpose=True)


def init_std_one(rng, sizes):
    return _init(rng, sizes, lambda n_in, n_out: 1.0)


def init_uniform(rng, sizes):
    # uniform on [-a, a] has variance a**2 / 3: the right variance, the wrong distribution
    return _init(rng, sizes, lambda n_in, n_out: 1.0 / max(n_in, n_out),
                 draw=lambda loc, std, size: rng.uniform(-std * 3**0.5, std * 3**0.5, size))


def init_random_bias(rng, sizes):
    params = nn.init_params(rng, tuple(sizes))
    return {k: (v if k[0] == "W" else rng.normal(size=v.shape)) for k, v in params.items()}


def forward_right(params, x):
    return nn.forward(params, x)[0]


def forward_sigmoid_out(params, x):
    return nn.sigmoid(nn.forward(params, x)[0])


def forward_softmax_out(params, x):
    return nn.softmax(nn.forward(params, x)[0])


def forward_no_bias(params, x):
    L, a = len(params) // 2, x
    for l in range(1, L):
        a = nn.sigmoid(a @ params[f"W{l}"])
    return a @ params[f"W{L}"]


def forward_three_layers(params, x):
    a1 = nn.sigmoid(x @ params["W1"] + params["b1"])
    a2 = nn.sigmoid(a1 @ params["W2"] + params["b2"])
    return a2 @ params["W3"] + params["b3"]


def forward_atleast_2d(params, x):
    return nn.forward(params, np.atleast_2d(x))[0]


def forward_loop_samples(params, x):
    """A right answer (slow, but the check does not time it): one sample at a time."""
    if x.ndim == 1:
        return nn.forward(params, x)[0]
    return np.stack([nn.forward(params, row)[0] for row in x])


# ---------------------------------------------------------------------------------------------
# backprop


def _backward(params, acts, dlogits, step, bias=lambda dz: dz.sum(axis=0), transpose=False):
    L, dz, grads = len(params) // 2, dlogits, {}
    for l in range(L, 0, -1):
        a_in = acts[l - 1]
        dW = a_in.T @ dz
        grads[f"W{l}"], grads[f"b{l}"] = (dW.T if transpose else dW), bias(dz)
        if l > 1:
            dz = step(dz @ params[f"W{l}"].T, a_in)
    return grads


def backward_right(params, acts, dlogits):
    return nn.backward(params, acts, dlogits)


def backward_no_sigmoid_prime(params, acts, dlogits):
    return _backward(params, acts, dlogits, lambda da, a: da)


def backward_sigma_prime_of_a(params, acts, dlogits):
    return _backward(params, acts, dlogits, lambda da, a: da * nn.sigmoid_prime(a))


def backward_extra_mean(params, acts, dlogits):
    n = dlogits.shape[0]
    return {k: g / n for k, g in nn.backward(params, acts, dlogits).items()}


def backward_bias_mean(params, acts, dlogits):
    return _backward(params, acts, dlogits, lambda da, a: da * a * (1 - a),
                     bias=lambda dz: dz.mean(axis=0))


def backward_transposed(params, acts, dlogits):
    return _backward(params, acts, dlogits, lambda da, a: da * a * (1 - a), transpose=True)


def backward_batch_only(params, acts, dlogits):
    """Right for a batch; for one sample a_in.T @ dz of two 1-D arrays is no outer product."""
    return _backward(params, acts, dlogits, lambda da, a: da * a * (1 - a))


def backward_one_sample_scalar(params, acts, dlogits):
    """What a_in.T @ dz gives for two 1-D arrays of equal length: one number per weight matrix."""
    grads = nn.backward(params, acts, dlogits)
    if np.ndim(dlogits) == 1:
        grads = {k: (np.float64(g.sum()) if k[0] == "W" else g) for k, g in grads.items()}
    return grads


def backward_in_place(params, acts, dlogits):
    grads = nn.backward(params, acts, dlogits)
    dlogits *= 2.0
    return grads


def gradcheck_right(f, x, h=1e-5):
    return nn.numerical_gradient(f, x, h)


def gradcheck_subtract_back(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f()
        x[i] -= 2 * h
        f_minus = f()
        x[i] += h                                 # not bit-exact: (x + h) - 2h + h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def gradcheck_one_sided(f, x, h=1e-5):
    grad, base = np.zeros_like(x), f()
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f() - base) / h
        x[i] = old
    return grad


def gradcheck_divide_by_h(f, x, h=1e-5):
    return 2.0 * nn.numerical_gradient(f, x, h)


def gradcheck_copy(f, x, h=1e-5):
    return nn.numerical_gradient(f, x.copy(), h)


def gradcheck_no_restore(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        grad[i] = (f_plus - f()) / (2 * h)
    return grad


# ---------------------------------------------------------------------------------------------

CASES = {
    "check_scale": Case(checks.check_scale, [scale_right, nn.preprocess], {
        "not flattened": (scale_unflattened, ["shape", "(3, 784)", "reshape"]),
        "divided by max": (scale_by_max, ["images.max()", "255"]),
        "uint8 arithmetic": (scale_in_uint8, ["dtype", "uint8", "float64"]),
        "not divided": (scale_not_divided, ["not divided by 255"]),
        "column order": (scale_columns, ["column order", "row-major"]),
        "in place": (scale_in_place, ["read-only", "astype"]),
        "float32": (scale_float32, ["float32", "float64"]),
    }),
    "check_class_means": Case(checks.check_class_means, [means_right], {
        "sums": (means_sums, ["sums", "count"]),
        "divided by N": (means_over_n, ["divided by N = 40"]),
        "counts broadcast": (means_no_newaxis, ["Column j is divided", "counts[:, None]"]),
        "transposed": (means_transposed, ["transpose"]),
    }),
    "check_validation_split": Case(checks.check_validation_split, [split_right], {
        "two draws": (split_two_draws, ["both parts", "one permutation"]),
        "two permutations": (split_two_permutations, ["Labels were separated"]),
        "global np.random": (split_global_random, ["same seed", "np.random"]),
        "first rows": (split_first_rows, ["not a random choice"]),
        "shuffled in place": (split_shuffle_in_place, ["changed x or y in place"]),
        "n_val = 0": (split_negative_slice, ["n_val = 0", "shape"]),
    }),
    "check_sigmoid": Case(checks.check_sigmoid, [nn.sigmoid, sigmoid_masks], {
        "naive overflows": (sigmoid_naive, ["overflow", "z = -10000"]),
        "np.where of naive branches": (sigmoid_where_naive, ["overflow", "np.where"]),
        "clipped": (sigmoid_clipped, ["clipped"]),
        "float64 for float32": (sigmoid_float64, ["dtype", "float32"]),
        "1 - sigma(-z)": (sigmoid_subtract, ["exactly 0", "relative accuracy"]),
    }),
    "check_sigmoid_prime": Case(checks.check_sigmoid_prime, [prime_right, prime_product], {
        "s * (1 - s)": (prime_s_one_minus_s, ["exactly 0", "z = 40", "q / (1 + q)**2"]),
        "naive overflows": (prime_naive, ["overflow"]),
        "float64 for float32": (prime_float64, ["dtype", "float32"]),
        "sigma instead of sigma'": (prime_is_sigmoid, ["sigma(0)", "1/4"]),
    }),
    "check_softmax": Case(checks.check_softmax, [nn.softmax], {
        "no shift": (softmax_no_shift, ["overflow", "max trick"]),
        "one max over the batch": (softmax_global_max, ["Row 1", "one max over the whole batch",
                                                        "axis=-1, keepdims=True"]),
        "one sum over the batch": (softmax_global_sum, ["one sum over the whole batch"]),
        "axis 0": (softmax_axis0, ["columns sum to 1", "axis=0"]),
        "no keepdims": (softmax_no_keepdims, ["broadcast", "keepdims=True"]),
        "no keepdims, N = C": (softmax_no_keepdims_square_only, ["N = C", "keepdims=True"]),
    }),
    "check_cross_entropy": Case(checks.check_cross_entropy, [ce_right], {
        "log of softmax": (ce_log_softmax, ["log of 0", "from the logits"]),
        "clipped": (ce_clipped, ["clipped", "800"]),
        "sum": (ce_sum, ["summed", "mean"]),
        "logits[:, y]": (ce_columns, ["(N, N)", "np.arange(N), y"]),
        "no shift": (ce_unshifted, ["overflow", "maximum"]),
        "one max over the batch": (ce_global_max, ["one max over the whole batch"]),
        "per-sample losses": (ce_per_sample, ["one number"]),
    }),
    "check_cross_entropy_grad": Case(checks.check_cross_entropy_grad, [grad_right], {
        "missing 1/N": (grad_no_mean, ["N = 3 times too large", "1/N"]),
        "1/N twice": (grad_twice, ["divided by N twice"]),
        "transposed": (grad_transposed, ["transpose", "(3, 5)"]),
        "sign": (grad_sign, ["wrong sign"]),
        "no shift": (grad_unshifted, ["overflow"]),
        "one max over the batch": (grad_global_max, ["one max over the whole batch"]),
    }),
    "check_init": Case(checks.check_init, [init_right], {
        "variance 1/n_in": (init_fan_in, ["1/n_in", "W1", "1/400"]),
        "variance as scale": (init_scale_is_variance, ["standard deviation", "square root"]),
        "global np.random": (init_global_random, ["did not draw from the rng"]),
        "transposed": (init_transposed, ["transpose", "(n_in, n_out)"]),
        "std 1": (init_std_one, ["default"]),
        "uniform": (init_uniform, ["kurtosis", "rng.normal"]),
        "random biases": (init_random_bias, ["zeros"]),
    }),
    "check_forward": Case(checks.check_forward, [forward_right, forward_loop_samples], {
        "sigmoid on the logits": (forward_sigmoid_out, ["sigmoid to the last layer"]),
        "softmax on the logits": (forward_softmax_out, ["probabilities", "softmax"]),
        "no biases": (forward_no_bias, ["biases are missing"]),
        "three layers only": (forward_three_layers, ["KeyError", "do not assume three layers"]),
        "one sample as a batch": (forward_atleast_2d, ["one sample", "(3,)"]),
    }),
    "check_backward": Case(checks.check_backward, [backward_right], {
        "no sigmoid derivative": (backward_no_sigmoid_prime, ["forgot the sigmoid's derivative",
                                                              "a * (1 - a)"]),
        "sigma' of the activation": (backward_sigma_prime_of_a, ["already sigma(z)"]),
        "1/N again": (backward_extra_mean, ["divided by N again"]),
        "bias mean": (backward_bias_mean, ["bias gradients", "sum"]),
        "transposed dW": (backward_transposed, ["transpose", "a_in.T @ dz"]),
        "changes dlogits": (backward_in_place, ["in place"]),
        "a_in.T @ dz for one sample": (backward_batch_only, ["one sample", ".T does nothing",
                                                            "np.outer"]),
        "scalar dW for one sample": (backward_one_sample_scalar, ["shape ()", ".T does nothing",
                                                                  "1-D"]),
    }),
    "check_grad_check": Case(checks.check_grad_check, [gradcheck_right], {
        "restores by subtracting": (gradcheck_subtract_back, ["not exactly as you found it",
                                                              "saved value"]),
        "one-sided": (gradcheck_one_sided, ["one-sided", "centred"]),
        "divides by h": (gradcheck_divide_by_h, ["twice", "2h"]),
        "perturbs a copy": (gradcheck_copy, ["all zeros", "in place"]),
        "leaves x perturbed": (gradcheck_no_restore, ["still perturbed"]),
    }),
}

WRONG = [(name, wrong) for name, case in CASES.items() for wrong in case.wrong]
RIGHT = [(name, i) for name, case in CASES.items() for i in range(len(case.right))]


def test_every_check_is_tested_with_three_wrong_answers() -> None:
    checks_in_package = {n for n in checks.__all__ if n.startswith("check_")}
    assert set(CASES) <= checks_in_package
    # The checks of later chapters are tested in their own modules, in the same way
    # (test_checks_<chapter>.py, or beside the package code they check, as test_plain_loop.py).
    others = "".join(p.read_text(encoding="utf8") for p in Path(__file__).parent.glob("test_*.py")
                     if p.name != Path(__file__).name)
    untested = sorted(n for n in checks_in_package - set(CASES) if n not in others)
    assert not untested, f"checks without a test of right and wrong answers: {untested}"
    few = {n: len(c.wrong) for n, c in CASES.items() if len(c.wrong) < 3}
    assert not few, f"checks with fewer than three wrong implementations: {few}"


def test_checks_are_reexported_by_the_package() -> None:
    for name in CASES:
        assert getattr(nn, name) is getattr(checks, name)


@pytest.mark.parametrize("name, index", RIGHT)
def test_right_answers_pass(name: str, index: int) -> None:
    result = CASES[name].check(CASES[name].right[index])
    assert result.passed, str(result)
    assert result and "PASSED" in str(result)


@pytest.mark.parametrize("name, wrong", WRONG)
def test_wrong_answers_are_rejected_with_a_named_problem(name: str, wrong: str) -> None:
    fn, words = CASES[name].wrong[wrong]
    result = CASES[name].check(fn)
    assert not result.passed, f"{name} accepted the wrong answer {wrong!r}"
    assert not result
    missing = [w for w in words if w.lower() not in result.message.lower()]
    assert not missing, f"{name}, {wrong!r}: the message lacks {missing}:\n{result.message}"
    assert "Hint:" in result.message


@pytest.mark.parametrize("name", list(CASES))
def test_unanswered_starter_says_not_answered(name: str) -> None:
    def starter(*args):
        ...  # your code here

    result = CASES[name].check(starter)
    assert not result.passed
    assert result.message.startswith("not answered yet: your function's body is still `...`")
    result = CASES[name].check(lambda *args: print("working on it"))    # runs, returns None
    assert not result.passed and "not answered yet" in result.message, result.message


@pytest.mark.parametrize("name", list(CASES))
def test_exceptions_are_reported_not_raised(name: str) -> None:
    def broken(*args):
        raise RuntimeError("boom in the reader's code")

    def not_implemented(*args):
        raise NotImplementedError

    result = CASES[name].check(broken)
    assert not result.passed
    assert "RuntimeError: boom in the reader's code" in result.message
    assert "not answered yet" in CASES[name].check(not_implemented).message


@pytest.mark.parametrize("name", list(CASES))
def test_odd_return_values_and_arguments_are_reported(name: str) -> None:
    for fn in (lambda *a: "a string", lambda *a: 3, lambda *a: (1, 2), lambda *a: {"W1": 0}):
        result = CASES[name].check(fn)
        assert not result.passed and "Hint:" in result.message
    result = CASES[name].check(42)                                   # not a function at all
    assert not result.passed and "needs your function" in result.message


def test_check_result_displays_as_text_and_html() -> None:
    good, bad = nn.check_sigmoid(nn.sigmoid), nn.check_sigmoid(sigmoid_naive)
    assert bool(good) and not bool(bad)
    assert str(good).startswith("check_sigmoid: PASSED") and repr(good) == str(good)
    assert str(bad).startswith("check_sigmoid: NOT YET")
    html = bad._repr_html_()
    assert "not yet" in html and "&lt;" not in str(bad) and "<div" in html
    assert isinstance(good, nn.CheckResult)


def _headings(chapter: Path) -> set[str]:
    """The chapter's section titles as a reader sees them: maths markup removed."""
    titles, fence = set(), None
    for line in chapter.read_text(encoding="utf8").splitlines():
        if fence is None and (m := re.match(r"^(`{3,}|~{3,})", line)):
            fence = m.group(1)                                  # code: its comments are no titles
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None and re.match(r"^#{1,6} ", line):
            title = re.sub(r"\\[a-zA-Z]+\{([^}]*)\}", r"\1", line.lstrip("#").strip())
            titles.add(" ".join(title.replace("$", "").split()))
    return titles


@pytest.mark.parametrize("module", sorted(m for m in vars(checks) if not m.startswith("_")
                                          and isinstance(getattr(checks, m), type(checks))))
def test_hints_name_sections_and_exercises_that_exist(module: str) -> None:
    """A hint sends the reader to a section by its title and to an exercise by its label: both
    must exist in the chapter, or the hint points nowhere after an edit."""
    chapter = Path(__file__).resolve().parent.parent / "book" / f"{module}.md"
    source = getattr(checks, module)
    hints = [v for k, v in vars(source).items() if k.endswith("_HINT") and isinstance(v, str)]
    assert hints, f"nnscratch.checks.{module} has no *_HINT constants"
    headings, text = _headings(chapter), chapter.read_text(encoding="utf8")
    for hint in hints:
        for title in re.findall(r"'(.+?)'(?=,| and | in )", hint):
            assert title in headings, f"{module}: no section {title!r} in {chapter.name}"
        for label in re.findall(rf"\b{module}-ex-[\w-]+", hint):
            assert f":label: {label}" in text, f"{module}: no exercise {label} in {chapter.name}"
