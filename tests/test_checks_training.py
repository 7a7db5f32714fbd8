"""The checks of the Training and Minibatch chapters accept right answers and name wrong ones."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.checks.minibatch import check_batches, check_momentum_step
from nnscratch.checks.training import check_confident_mistakes, check_sgd_step


# --- my_sgd_step ------------------------------------------------------------------------------

def sgd_step(params, x, y, lr, *, sign=-1.0, update_biases=True, early_update=False, loss_after=False):
    """A reference step with switches for the classic mistakes."""
    L = len(params) // 2
    acts, a = [x], x
    for l in range(1, L):
        a = nn.sigmoid(a @ params[f"W{l}"] + params[f"b{l}"])
        acts.append(a)
    z = a @ params[f"W{L}"] + params[f"b{L}"]
    loss = nn.cross_entropy(z, int(y))
    dz = nn.softmax(z)
    dz[int(y)] -= 1.0
    for l in range(L, 0, -1):
        a_in = acts[l - 1]
        if early_update:
            params[f"W{l}"] += sign * lr * np.outer(a_in, dz)
        da = params[f"W{l}"] @ dz
        if not early_update:
            params[f"W{l}"] += sign * lr * np.outer(a_in, dz)
        if update_biases:
            params[f"b{l}"] += sign * lr * dz
        if l > 1:
            dz = da * a_in * (1.0 - a_in)
    if loss_after:
        return nn.loss_and_grads(params, x, y)[0]
    return float(loss)


def test_sgd_step_accepts_the_definition():
    result = check_sgd_step(sgd_step)
    assert result.passed, result.message


@pytest.mark.parametrize("wrong, words", [
    (lambda p, x, y, lr: sgd_step(p, x, y, lr, sign=+1.0), "wrong way"),
    (lambda p, x, y, lr: sgd_step(p, x, y, lr, update_biases=False), "biases did not change"),
    (lambda p, x, y, lr: sgd_step(p, x, y, lr, early_update=True), "OLD weights"),
    (lambda p, x, y, lr: sgd_step(p, x, y, lr, loss_after=True), "AFTER the update"),
    (lambda p, x, y, lr: None, "not answered"),
])
def test_sgd_step_names_the_mistake(wrong, words):
    result = check_sgd_step(wrong)
    assert not result.passed and words in result.message, result.message


# --- my_confident_mistakes -----------------------------------------------------------------------

def confident_mistakes(probs, y, k):
    pred = probs.argmax(axis=1)
    conf = probs[np.arange(len(y)), pred]
    wrong = np.flatnonzero(pred != y)
    return wrong[np.argsort(-conf[wrong], kind="stable")][:k]


def test_confident_mistakes_accepts_the_reference():
    assert check_confident_mistakes(confident_mistakes).passed


def by_true_class(probs, y, k):
    wrong = np.flatnonzero(probs.argmax(axis=1) != y)
    return wrong[np.argsort(probs[wrong, y[wrong]], kind="stable")][:k]


def ascending(probs, y, k):
    return confident_mistakes(probs, y, k)[::-1]


def including_correct(probs, y, k):
    return np.argsort(-probs.max(axis=1), kind="stable")[:k]


def as_mask(probs, y, k):
    return probs.argmax(axis=1) != y


@pytest.mark.parametrize("wrong, words", [
    (by_true_class, "TRUE class"),
    (ascending, "wrong order"),
    (including_correct, "predicted correctly"),
    (as_mask, "boolean mask"),
])
def test_confident_mistakes_names_the_mistake(wrong, words):
    result = check_confident_mistakes(wrong)
    assert not result.passed and words in result.message, result.message


# --- my_batches ----------------------------------------------------------------------------------

def batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def test_batches_accepts_the_reference():
    assert check_batches(batches).passed


def with_replacement(n, batch_size, rng):
    idx = rng.integers(0, n, size=n)
    return [idx[i : i + batch_size] for i in range(0, n, batch_size)]


def drops_remainder(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(n // batch_size)]


def global_random(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def not_shuffled(n, batch_size, rng):
    return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def fixed_seed_inside(n, batch_size, rng):
    return batches(n, batch_size, np.random.default_rng(0))


@pytest.mark.parametrize("wrong, words", [
    (with_replacement, "exactly once"),
    (drops_remainder, "remainder"),
    (global_random, "np.random"),
    (not_shuffled, "in order"),
    (fixed_seed_inside, "new permutation"),
])
def test_batches_names_the_mistake(wrong, words):
    result = check_batches(wrong)
    assert not result.passed and words in result.message, result.message


# --- my_momentum_step ----------------------------------------------------------------------------

def momentum_step(params, grads, velocity, lr, momentum):
    for k in params:
        velocity[k] *= momentum
        velocity[k] -= lr * grads[k]
        params[k] += velocity[k]


def pytorch_style(params, grads, velocity, lr, momentum):
    for k in params:                       # v = mu v + g; p -= lr v: the same steps for a fixed lr
        velocity[k] *= momentum
        velocity[k] += grads[k]
        params[k] -= lr * velocity[k]


def test_momentum_accepts_both_conventions():
    assert check_momentum_step(momentum_step).passed
    assert check_momentum_step(pytorch_style).passed


def rebinds_velocity(params, grads, velocity, lr, momentum):
    for k in params:
        v = velocity[k]
        v = momentum * v - lr * grads[k]   # a new array: velocity[k] stays zero
        params[k] += v


def returns_new_params(params, grads, velocity, lr, momentum):
    return {k: params[k] - lr * grads[k] for k in params}


def wrong_sign(params, grads, velocity, lr, momentum):
    for k in params:
        velocity[k] = momentum * velocity[k] + lr * grads[k]
        params[k] += velocity[k]


@pytest.mark.parametrize("wrong, words", [
    (rebinds_velocity, "plain SGD"),
    (returns_new_params, "did not change"),
    (wrong_sign, "velocity = momentum * velocity - lr * g"),
])
def test_momentum_names_the_mistake(wrong, words):
    result = check_momentum_step(wrong)
    assert not result.passed and words in result.message, result.message
