"""The plain minibatch loop, the squared-error loss and the check of exercise
minibatch-ex-my-loop (chapters Training and From one sample to a minibatch)."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.checks.minibatch import _reference_epoch
from nnscratch.gradcheck import numerical_gradient


def blobs(rng, n=203, d=20, c=4):
    centres = rng.random((c, d)) * (rng.random((c, d)) > 0.6)
    y = rng.integers(0, c, size=n)
    x = np.clip(centres[y] + 0.05 * rng.normal(size=(n, d)), 0, 1) * (centres[y] > 0)
    return x, y


def test_plain_minibatch_loop_equals_the_fast_one():
    """Same generator, same batches (203 rows: the last batch is smaller), same numbers."""
    rng = np.random.default_rng(0)
    x, y = blobs(rng)
    start = nn.init_params(rng, (20, 7, 6, 4))
    plain, fast = nn.copy_params(start), nn.copy_params(start)
    hp = nn.sgd_minibatch_plain(plain, x, y, epochs=2, lr=0.5, batch_size=32,
                                rng=np.random.default_rng(5))
    hf = nn.sgd_minibatch(fast, x, y, epochs=2, lr=0.5, batch_size=32,
                          rng=np.random.default_rng(5), progress=False)
    assert hp.step_loss.shape == hf.step_loss.shape == (2 * 7,)
    assert np.max(np.abs(hp.step_loss - hf.step_loss)) <= 1e-10
    for k in start:
        assert np.max(np.abs(plain[k] - fast[k])) <= 1e-10, k
        assert not np.array_equal(plain[k], start[k]), f"{k} never changed"


def test_squared_error_matches_its_definition_and_finite_differences():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])
    p = nn.softmax(z)
    loss, g = nn.squared_error_and_grad(z, y)
    assert loss == pytest.approx(np.mean(np.sum((p - nn.one_hot(y, 4)) ** 2, axis=1)))
    numeric = numerical_gradient(lambda: nn.squared_error(z, y), z)
    assert np.max(nn.rel_error(g, numeric)) < 1e-7
    one_loss, one_g = nn.squared_error_and_grad(z[1], 3)             # one sample: (C,)
    assert one_g.shape == (4,) and one_loss == pytest.approx(
        np.sum((p[1] - nn.one_hot(np.array([3]), 4)[0]) ** 2))


def test_squared_error_gradient_vanishes_when_confidently_wrong():
    """The point of the training chapter's comparison: p - y stays large, the squared error's
    gradient goes to zero when the softmax puts almost everything on a wrong class."""
    z, y = np.array([12.0, 0.0, 0.0]), 2
    ce = nn.cross_entropy_grad(z, y)
    _, se = nn.squared_error_and_grad(z, y)
    assert np.linalg.norm(ce) > 1.4 and np.linalg.norm(se) < 1e-4


def test_plain_loop_rejects_an_unknown_loss_and_a_missing_generator():
    rng = np.random.default_rng(2)
    x, y = blobs(rng, n=10)
    params = nn.init_params(rng, (20, 3, 4))
    with pytest.raises(ValueError, match="loss must be one of"):
        nn.sgd_minibatch_plain(params, x, y, rng=rng, loss="hinge")
    with pytest.raises(TypeError, match="default_rng"):
        nn.sgd_minibatch_plain(params, x, y, rng=None)


def reference(params, x, y, lr, batch_size, rng):
    return _reference_epoch(params, x, y, lr, batch_size, rng)


def test_check_minibatch_epoch_accepts_a_plain_loop():
    assert nn.check_minibatch_epoch(reference).passed


@pytest.mark.parametrize("flags, words", [
    (dict(shuffle=False), "rng.permutation"),
    (dict(keep_last=False), "remainder"),
    (dict(mean=False), "MEAN"),
])
def test_check_minibatch_epoch_names_the_mistake(flags, words):
    def wrong(params, x, y, lr, batch_size, rng):
        return _reference_epoch(params, x, y, lr, batch_size, rng, **flags)

    result = nn.check_minibatch_epoch(wrong)
    assert not result.passed and words in result.message, result.message


def test_check_minibatch_epoch_wants_the_losses_before_each_step():
    def losses_after(params, x, y, lr, batch_size, rng):
        _reference_epoch(params, x, y, lr, batch_size, rng)
        return [0.0] * 5

    result = nn.check_minibatch_epoch(losses_after)
    assert not result.passed and "before its step" in result.message, result.message
