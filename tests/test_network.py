"""The network: initialisation, forward shapes, and backpropagation checked two independent ways
(finite differences, and TensorFlow's autodiff on the same weights)."""

import os

import numpy as np
import pytest

import nnscratch as nn


def tiny_net(rng, sizes):
    """A small net with non-zero biases, so bias gradients are really exercised."""
    params = nn.init_params(rng, sizes)
    for k in params:
        if k.startswith("b"):
            params[k] = rng.normal(0, 0.5, size=params[k].shape)
    return params


@pytest.mark.parametrize("sizes, n", [((5, 4, 3, 3), 4), ((6, 3, 4), 3), ((4, 5, 5, 5, 2), 5), ((3, 2), 3)])
def test_every_parameter_passes_a_finite_difference_check(sizes, n):
    rng = np.random.default_rng(sum(sizes) + n)
    params = tiny_net(rng, sizes)
    x = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    results = nn.check_gradients(params, x, y)
    assert list(results) == list(params)
    for name, r in results.items():
        assert r.analytic.shape == params[name].shape
        assert r.max_error <= 1e-6, f"{name}: {r}"
        assert r.ok


# Sparse inputs in [0, 1], like MNIST's pixels: many gradient entries are tiny (or exactly zero),
# where the numerical gradient's rounding error (~1e-11) is a large *relative* error. Relative
# error alone failed 21 of 100 seeds of (20, 8, 6, 4) and 47 of 100 of (30, 7, 5, 3).
SPARSE_SHAPES = [((5, 4, 3, 3), 4), ((20, 8, 6, 4), 4), ((30, 7, 5, 3), 5), ((12, 9, 2), 3)]


def sparse_problem(seed, sizes, n):
    rng = np.random.default_rng(seed)
    params = tiny_net(rng, sizes)
    x = rng.random((n, sizes[0])) * (rng.random((n, sizes[0])) < 0.2)   # 80 % zeros, rest in [0, 1)
    y = rng.integers(0, sizes[-1], size=n)
    return params, x, y


@pytest.mark.parametrize("sizes, n", SPARSE_SHAPES)
def test_correct_backprop_passes_on_sparse_inputs_for_100_seeds(sizes, n):
    failed = []
    for seed in range(100):
        params, x, y = sparse_problem(seed, sizes, n)
        results = nn.check_gradients(params, x, y)
        failed += [(seed, str(r)) for r in results.values() if not r.ok]
    assert not failed, f"{len(failed)} correct gradients reported WRONG, e.g. {failed[:3]}"


def _through(params, acts, dlogits, step, bias=lambda dz: dz.sum(axis=0)):
    """Backpropagation with a pluggable sigmoid step and bias reduction (to plant bugs)."""
    L, dz, grads = len(params) // 2, dlogits, {}
    for l in range(L, 0, -1):
        grads[f"W{l}"], grads[f"b{l}"] = acts[l - 1].T @ dz, bias(dz)
        if l > 1:
            dz = step(dz @ params[f"W{l}"].T, acts[l - 1])
    return grads


def _scaled(grads, key, factor):
    return {k: g * factor if k == key else g for k, g in grads.items()}


# Every deliberately wrong backward pass of the test suite (tests/test_checks.py and the chapter's
# two buggy ones), and smaller slips: each must still be flagged WRONG on the sparse problems.
MUTATIONS = {
    "no sigmoid derivative": lambda p, a, d: _through(p, a, d, lambda da, a_: da),
    "sigma' of the activation": lambda p, a, d: _through(p, a, d, lambda da, a_: da * nn.sigmoid_prime(a_)),
    "1/N again": lambda p, a, d: {k: g / d.shape[0] for k, g in nn.backward(p, a, d).items()},
    "bias mean": lambda p, a, d: _through(p, a, d, lambda da, a_: da * a_ * (1 - a_),
                                          bias=lambda dz: dz.mean(axis=0)),
    "W1 off by 1 %": lambda p, a, d: _scaled(nn.backward(p, a, d), "W1", 1.01),
    "b1 sign flipped": lambda p, a, d: _scaled(nn.backward(p, a, d), "b1", -1.0),
    "bottom layer skips a * (1 - a) only there":
        lambda p, a, d: {**nn.backward(p, a, d), **{k: v for k, v in _through(
            p, a, d, lambda da, a_: da if a_ is a[1] else da * a_ * (1 - a_)).items() if k in ("W1", "b1")}},
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_every_deliberately_wrong_backward_pass_is_caught(mutation):
    for sizes, n in SPARSE_SHAPES:
        for seed in range(5):
            params, x, y = sparse_problem(seed, sizes, n)
            logits, acts = nn.forward(params, x)
            grads = MUTATIONS[mutation](params, acts, nn.cross_entropy_grad(logits, y))
            results = nn.check_gradients(params, x, y, grads=grads)
            assert not all(r.ok for r in results.values()), f"{mutation} passed for {sizes}, seed {seed}"


def test_gradient_check_flags_a_wrong_gradient():
    rng = np.random.default_rng(3)
    params = tiny_net(rng, (4, 3, 3))
    x, y = rng.normal(size=(3, 4)), np.array([0, 2, 1])
    _, grads = nn.loss_and_grads(params, x, y)
    grads["W1"] = grads["W1"].copy()
    grads["W1"][1, 2] *= 2.0                              # one wrong entry
    res = nn.check_gradients(params, x, y, grads=grads)
    assert not res["W1"].ok and res["W1"].worst() == (1, 2)
    assert res["W2"].ok and "WRONG" in str(res["W1"])


def test_one_sample_equals_a_batch_of_one():
    rng = np.random.default_rng(4)
    params = tiny_net(rng, (6, 4, 3))
    x = rng.normal(size=6)
    logits, acts = nn.forward(params, x)
    logits_b, _ = nn.forward(params, x[None, :])
    assert logits.shape == (3,) and np.allclose(logits, logits_b[0])
    loss1, g1 = nn.loss_and_grads(params, x, 2)
    lossb, gb = nn.loss_and_grads(params, x[None, :], np.array([2]))
    assert loss1 == pytest.approx(lossb)
    for k in params:
        assert g1[k].shape == params[k].shape and np.allclose(g1[k], gb[k])
    # for one sample dW1 is the outer product x dz1^T
    dz1 = g1["b1"]
    assert np.allclose(g1["W1"], np.outer(x, dz1))


def test_batch_gradient_is_mean_of_sample_gradients():
    rng = np.random.default_rng(5)
    params = tiny_net(rng, (5, 4, 3))
    x, y = rng.normal(size=(4, 5)), np.array([0, 1, 2, 1])
    _, gb = nn.loss_and_grads(params, x, y)
    per_sample = [nn.loss_and_grads(params, x[i], int(y[i]))[1] for i in range(4)]
    for k in params:
        assert np.allclose(gb[k], np.mean([g[k] for g in per_sample], axis=0))


def test_forward_is_vectorised_and_shapes_follow_the_convention():
    rng = np.random.default_rng(6)
    params = nn.init_params(rng)
    assert [params[k].shape for k in params] == [(784, 32), (32,), (32, 32), (32,), (32, 10), (10,)]
    x = rng.random((7, 784))
    logits, acts = nn.forward(params, x)
    assert logits.shape == (7, 10) and [a.shape for a in acts] == [(7, 784), (7, 32), (7, 32)]
    assert nn.predict(params, x).shape == (7,)
    loss, acc = nn.evaluate(params, x, np.zeros(7, dtype=int), batch_size=3)
    assert loss == pytest.approx(nn.cross_entropy(logits, np.zeros(7, dtype=int)))


def test_init_has_the_documented_variance_and_uses_the_generator():
    params = nn.init_params(np.random.default_rng(0), (784, 300, 10))
    assert params["W1"].var() == pytest.approx(1 / 784, rel=0.02)
    assert params["W2"].var() == pytest.approx(1 / 300, rel=0.05)
    assert not params["b1"].any()
    again = nn.init_params(np.random.default_rng(0), (784, 300, 10))
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert nn.init_params(np.random.default_rng(0), dtype=np.float32)["W1"].dtype == np.float32
    with pytest.raises(TypeError, match="Generator"):
        nn.init_params(0)


def test_bad_inputs_are_rejected_with_a_hint():
    params = nn.init_params(np.random.default_rng(0))
    with pytest.raises(TypeError, match="floats"):
        nn.forward(params, np.zeros((2, 784), dtype=np.uint8))
    with pytest.raises(ValueError, match="flatten"):
        nn.forward(params, np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="shape mismatch"):
        nn.forward(params, np.zeros((2, 100)))


def test_backward_equals_tensorflow_gradient_tape():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(7)
    params = tiny_net(rng, nn.SIZES)
    x = rng.random((16, 784))
    y = rng.integers(0, 10, size=16)
    loss, grads = nn.loss_and_grads(params, x, y)

    tvars = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    with tf.GradientTape() as tape:
        a = tf.constant(x, dtype=tf.float64)
        for l in (1, 2):
            a = tf.sigmoid(a @ tvars[f"W{l}"] + tvars[f"b{l}"])
        logits = a @ tvars["W3"] + tvars["b3"]
        tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    tf_grads = tape.gradient(tf_loss, tvars)
    assert abs(loss - float(tf_loss)) <= 1e-12
    for k in params:
        assert np.max(np.abs(grads[k] - tf_grads[k].numpy())) <= 1e-10, k
