"""The checks of the chapter Beyond the book's recipe accept right answers and name wrong ones."""

import numpy as np
import pytest

from nnscratch import modern
from nnscratch.checks.beyond import check_adam_step, check_relu_backward


# --- my_relu_backward --------------------------------------------------------------------------

def test_relu_backward_accepts_right_answers():
    for right in (modern.relu_backward, lambda da, a: np.where(a > 0, da, 0.0),
                  lambda da, a: da * np.heaviside(a, 0.0)):
        result = check_relu_backward(right)
        assert result.passed, result.message


@pytest.mark.parametrize("wrong, words", [
    (lambda da, a: da * (a >= 0), "a > 0, not a >= 0"),
    (lambda da, a: (a > 0).astype(float), "does not use da"),
    (lambda da, a: da * a * (1.0 - a), "sigmoid's derivative"),
    (lambda da, a: da * a, "not da * relu'(z)"),
    (lambda da, a: (da * (a > 0)).T, "Wrong shape"),
    (lambda da, a: None, "not answered"),
])
def test_relu_backward_names_the_mistake(wrong, words):
    result = check_relu_backward(wrong)
    assert not result.passed
    assert words in result.message and "Hint:" in result.message, result.message


# --- my_adam_step -------------------------------------------------------------------------------

def adam(params, grads, m, v, t, lr, beta1, beta2, eps, *, correct=True, keep=True, sq=True):
    """A reference Adam step with switches for the classic mistakes."""
    for k in params:
        g = grads[k]
        new_m = beta1 * m[k] + (1 - beta1) * g
        new_v = beta2 * v[k] + (1 - beta2) * (g * g if sq else np.abs(g))
        if keep:
            m[k][...], v[k][...] = new_m, new_v
        m_hat = new_m / (1 - beta1**t) if correct else new_m
        v_hat = new_v / (1 - beta2**t) if correct else new_v
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)


def test_adam_step_accepts_right_answers():
    def package(params, grads, m, v, t, lr, beta1, beta2, eps):
        modern.adam_step(params, grads, m, v, t, lr, beta1=beta1, beta2=beta2, eps=eps)

    for right in (adam, package):
        result = check_adam_step(right)
        assert result.passed, result.message


def no_step(params, grads, m, v, t, lr, beta1, beta2, eps):
    adam({k: p.copy() for k, p in params.items()}, grads, m, v, t, lr, beta1, beta2, eps)


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: adam(*a, correct=False), "no bias correction"),
    (lambda *a: adam(*a, keep=False), "kept between steps"),
    (lambda *a: adam(*a, sq=False), "g**2"),
    (no_step, "did not change"),
    (lambda *a: None, "not answered"),
])
def test_adam_step_names_the_mistake(wrong, words):
    result = check_adam_step(wrong)
    assert not result.passed
    assert words in result.message and "Hint:" in result.message, result.message
