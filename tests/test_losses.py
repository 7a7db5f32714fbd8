"""Softmax, log-softmax and cross-entropy: row-wise, stable at extreme logits, correct gradients."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnscratch as nn

FLOATS = (np.float32, np.float64)
logit_batches = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 10)),
    elements=st.floats(-1e4, 1e4),
)


@settings(max_examples=200, deadline=None)
@given(logit_batches, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_shift_invariant(z, shift):
    p = nn.softmax(z)
    assert p.shape == z.shape
    assert np.all(p >= 0)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(nn.softmax(z + shift), p, atol=1e-12)
    lp = nn.log_softmax(z)
    assert np.all(np.isfinite(lp))
    assert np.allclose(np.exp(lp), p, atol=1e-12)


def test_softmax_is_row_wise_not_batch_wise():
    # one row with huge logits must not wipe out the other (the single-global-max bug)
    z = np.array([[1000.0, 999.0, 998.0], [0.0, 1.0, 2.0]])
    p = nn.softmax(z)
    assert np.allclose(p[1], nn.softmax(z[1]))
    assert np.allclose(p[0], nn.softmax(z[0] - 1000.0))
    assert np.allclose(nn.logsumexp(z), [nn.logsumexp(z[0]), nn.logsumexp(z[1])])


@pytest.mark.parametrize("dtype", FLOATS)
def test_extreme_logits_are_finite_without_warnings(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    y = np.array([1, 0, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = nn.softmax(z)
        lp = nn.log_softmax(z)
        loss = nn.cross_entropy(z, y)
        g = nn.cross_entropy_grad(z, y)
    assert p.dtype == dtype and lp.dtype == dtype
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp)) and np.all(np.isfinite(g))
    # row 0 puts all mass on class 0 and the label is 1: the loss is 2e4 nats, exactly
    assert math.isfinite(loss)
    assert loss == pytest.approx((2e4 + math.log(3.0) + 2e4 + math.log(2.0)) / 3, rel=1e-6)
    # float32 keeps only ~3 decimals at 1e4, so compare to within a few ulps of 1e4
    assert np.allclose(lp[1], -math.log(3.0), rtol=0, atol=4e4 * np.finfo(dtype).eps)


def test_loss_at_chance_is_ln10():
    z = np.zeros((4, 10))
    assert nn.cross_entropy(z, np.array([0, 3, 5, 9])) == pytest.approx(math.log(10))


def test_cross_entropy_matches_definition_and_is_a_mean():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    y = np.array([0, 3, 1, 1, 2])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(5), y]))
    assert nn.cross_entropy(z, y) == pytest.approx(expected, rel=1e-12)
    # one sample: (C,) logits and an int label
    assert nn.cross_entropy(z[2], 1) == pytest.approx(-np.log(p[2, 1]), rel=1e-12)


def test_cross_entropy_grad_matches_finite_differences():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 5))
    y = np.array([4, 0, 2])
    g = nn.cross_entropy_grad(z, y)
    num = nn.numerical_gradient(lambda: nn.cross_entropy(z, y), z)
    assert nn.rel_error(g, num).max() < 1e-7
    loss, g2 = nn.cross_entropy_and_grad(z, y)
    assert loss == pytest.approx(nn.cross_entropy(z, y), rel=1e-15) and np.allclose(g, g2, rtol=0, atol=1e-15)
    # rows sum to zero; for one sample the gradient is p - onehot, no 1/N
    assert np.allclose(g.sum(axis=1), 0)
    assert np.allclose(nn.cross_entropy_grad(z[0], 4), nn.softmax(z[0]) - np.eye(5)[4])


@pytest.mark.parametrize(
    "logits, y, message",
    [
        (np.zeros((3, 4)), np.array([0, 1]), "shape"),
        (np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]), "integers"),
        (np.zeros((3, 4)), np.array([0, 1, 4]), "0..3"),
        (np.zeros((3, 4)), np.eye(4)[:3].astype(int), "shape"),
        (np.zeros((2, 3, 4)), np.array([0, 1]), "shape"),
    ],
)
def test_bad_labels_get_clear_errors(logits, y, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nn.cross_entropy(logits, y)
