"""The checks of the chapter Is training healthy? accept right answers and name wrong ones."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.checks.diagnostics import check_early_stopping, check_update_ratios


def ratios(params, grads, lr, *, use_lr=True, upside=False, biases=False, mean_abs=False):
    out = []
    for k in range(1, len(params) // 2 + 1):
        W, dW = params[f"W{k}"], grads[f"W{k}"]
        if biases:
            W = np.concatenate([W.ravel(), params[f"b{k}"]])
            dW = np.concatenate([dW.ravel(), grads[f"b{k}"]])
        top, bottom = ((np.abs(dW).mean(), np.abs(W).mean()) if mean_abs
                       else (np.linalg.norm(dW), np.linalg.norm(W)))
        r = (lr if use_lr else 1.0) * top / bottom
        out.append(lr * lr / r if upside else r)
    return np.array(out)


def test_update_ratios_accepts_the_definition():
    assert check_update_ratios(ratios).passed
    assert check_update_ratios(nn.diagnostics.update_ratios).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda p, g, lr: ratios(p, g, lr, use_lr=False), "learning rate"),
    (lambda p, g, lr: ratios(p, g, lr, upside=True), "upside down"),
    (lambda p, g, lr: ratios(p, g, lr, biases=True), "biases"),
    (lambda p, g, lr: ratios(p, g, lr, mean_abs=True), "mean absolute"),
    (lambda p, g, lr: ratios(p, g, lr) ** 2, "Wrong ratios"),
    (lambda p, g, lr: float(ratios(p, g, lr).sum()), "one ratio per layer"),
    (lambda p, g, lr: np.array([lr * np.linalg.norm(g[f"W{k}"]) / np.linalg.norm(p[f"W{k}"])
                                for k in (1, 2, 3)]), "three layers"),
    (lambda p, g, lr: p.__setitem__("W1", p["W1"] - lr * g["W1"]), "not answered"),
])
def test_update_ratios_names_the_mistake(wrong, words):
    result = check_update_ratios(wrong)
    assert not result.passed
    assert words.lower() in result.message.lower(), result.message
    assert "Hint:" in result.message


def changes_params(params, grads, lr):
    params["W1"] -= lr * grads["W1"]
    return ratios(params, grads, lr)


def test_update_ratios_must_not_update():
    result = check_update_ratios(changes_params)
    assert not result.passed and "changed params" in result.message


def stopping(scores, patience, *, late=0, ties=False, whole=False):
    if whole:
        return int(np.argmax(scores)), len(scores) - 1
    best = 0
    for epoch in range(1, len(scores)):
        if scores[epoch] > scores[best] or (ties and scores[epoch] == scores[best]):
            best = epoch
        elif epoch - best >= patience + late:
            return best, epoch
    return best, len(scores) - 1


def test_early_stopping_accepts_the_definition():
    assert check_early_stopping(stopping).passed
    assert check_early_stopping(nn.diagnostics.early_stopping).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda s, p: stopping(s, p, late=1), "too late"),
    (lambda s, p: stopping(s, p, late=-1), "too early"),
    (lambda s, p: stopping(s, p, ties=True), "tie"),
    (lambda s, p: stopping(s, p, whole=True), "whole list"),
    (lambda s, p: int(np.argmax(s)), "pair of epoch numbers"),
    (lambda s, p: None, "not answered"),
])
def test_early_stopping_names_the_mistake(wrong, words):
    result = check_early_stopping(wrong)
    assert not result.passed
    assert words.lower() in result.message.lower(), result.message
    assert "Hint:" in result.message
