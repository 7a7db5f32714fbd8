"""The homework's per-sample training loop, written plainly: the benchmark's baseline.

This is how the original homework notebook computes one epoch of per-sample SGD: a forward pass
for one sample that keeps every pre-activation and activation, a backward pass that recomputes
sigma'(z) from z, one-hot targets, the textbook formulas, and lists of weight matrices. Weights
are stored as in the book, W of shape (n_in, n_out). It is correct (a test checks it against
``nnscratch``), just not written with speed in mind. Pixels must already be scaled to [0, 1]:
its naive sigmoid overflows on raw pixels, which is one of the things the book is about.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(z):
    return sigmoid(z) * (1 - sigmoid(z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def forward_one(x, weights, biases):
    """Forward pass for one sample x (D,): returns the lists of pre-activations and activations."""
    zs, activations = [], [x]
    a = x
    for l in range(len(weights)):
        z = np.dot(a, weights[l]) + biases[l]
        zs.append(z)
        a = softmax(z) if l == len(weights) - 1 else sigmoid(z)
        activations.append(a)
    return zs, activations


def backprop_one(x, label, weights, biases):
    """Gradients of the cross-entropy of one sample, layer by layer. Returns (loss, dWs, dbs)."""
    zs, activations = forward_one(x, weights, biases)
    target = np.zeros(weights[-1].shape[1])
    target[label] = 1.0
    loss = -np.sum(target * np.log(activations[-1]))
    dWs = [np.zeros_like(w) for w in weights]
    dbs = [np.zeros_like(b) for b in biases]
    delta = activations[-1] - target
    dWs[-1] = np.outer(activations[-2], delta)
    dbs[-1] = delta
    for l in range(len(weights) - 2, -1, -1):
        delta = np.dot(weights[l + 1], delta) * sigmoid_derivative(zs[l])
        dWs[l] = np.outer(activations[l], delta)
        dbs[l] = delta
    return loss, dWs, dbs


def train_epoch(x, y, weights, biases, lr=0.003):
    """One epoch of per-sample SGD in data-set order; updates the lists in place, returns losses."""
    losses = []
    for i in range(len(x)):
        loss, dWs, dbs = backprop_one(x[i], y[i], weights, biases)
        losses.append(loss)
        for l in range(len(weights)):
            weights[l] -= lr * dWs[l]
            biases[l] -= lr * dbs[l]
    return losses
