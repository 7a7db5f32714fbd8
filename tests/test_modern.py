"""Tests for nnscratch.modern: ReLU with He initialisation, the activation-choice network, Adam
and the plain minibatch loop (chapter *Beyond the book's recipe*)."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import modern

TINY = (6, 5, 4, 3)


def _tiny(activation: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = modern.init_params_for(activation, rng, TINY)
    for k in params:
        if k.startswith("b"):
            params[k] = rng.normal(0.0, 0.5, size=params[k].shape)    # non-zero biases
    x = rng.normal(size=(5, TINY[0]))
    y = rng.integers(0, TINY[-1], size=5)
    return params, x, y


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_gradients_match_finite_differences(activation):
    params, x, y = _tiny(activation)
    checks = modern.check_gradients_act(params, x, y, activation)
    assert set(checks) == set(params)
    bad = [str(c) for c in checks.values() if not c.ok]
    assert not bad, "\n".join(bad)
    assert max(c.max_error for c in checks.values()) < 1e-7


def test_relu_gradient_check_fails_a_wrong_backward(monkeypatch):
    """The check can fail: a ReLU backward that lets the gradient through everywhere is caught."""
    params, x, y = _tiny("relu")
    monkeypatch.setattr(modern, "relu_backward", lambda da, a: da)
    checks = modern.check_gradients_act(params, x, y, "relu")
    assert not checks["W1"].ok and not checks["b1"].ok
    assert checks["W3"].ok                      # the top layer never goes through a ReLU


def test_gradient_check_refuses_a_point_on_the_kink():
    params, x, y = _tiny("relu")
    z1 = x @ params["W1"] + params["b1"]
    params["b1"][0] -= z1[0, 0]                 # sample 0's first unit exactly at z = 0
    with pytest.raises(ValueError, match="kink"):
        modern.check_gradients_act(params, x, y, "relu")


def test_sigmoid_choice_is_the_package_network():
    params, x, y = _tiny("sigmoid", seed=3)
    loss, grads = modern.loss_and_grads_act(params, x, y, "sigmoid")
    want_loss, want = nn.loss_and_grads(params, x, y)
    assert loss == pytest.approx(want_loss, rel=1e-14)
    for k in params:
        np.testing.assert_allclose(grads[k], want[k], rtol=1e-12, atol=1e-15)


def test_relu_and_its_backward():
    z = np.array([[-2.0, 0.0, 3.0]], dtype=np.float32)
    a = modern.relu(z)
    assert a.dtype == np.float32 and a.tolist() == [[0.0, 0.0, 3.0]]
    assert modern.relu_backward(np.array([[5.0, 6.0, 7.0]]), a).tolist() == [[0.0, 0.0, 7.0]]
    with pytest.raises(ValueError, match="same shape"):
        modern.relu_backward(np.ones((2, 3)), np.ones((3,)))


def test_he_variance_and_errors():
    p = modern.init_params_he(np.random.default_rng(1), (400, 300, 10))
    assert p["W1"].var() == pytest.approx(2 / 400, rel=0.02)
    assert p["W2"].var() == pytest.approx(2 / 300, rel=0.05)
    assert not p["b1"].any()
    # the point of He: with ReLU the pre-activations keep their size from layer to layer, while
    # half that variance (1 / n_in) shrinks them by about 1/sqrt(2) per layer
    rng = np.random.default_rng(2)
    params = modern.init_params_he(rng, (512,) * 7)
    x = rng.normal(size=(2000, 512))
    ratio = {}
    for gain in (1.0, 0.5):
        a, z_std = x, []
        for k in range(1, 7):
            z = a @ (params[f"W{k}"] * gain**0.5)
            z_std.append(z.std())
            a = modern.relu(z)
        ratio[gain] = z_std[-1] / z_std[1]
    assert 0.7 < ratio[1.0] < 1.4
    assert ratio[0.5] == pytest.approx(0.5**2, rel=0.3)       # four halvings of the variance
    with pytest.raises(TypeError, match="Generator"):
        modern.init_params_he(0)
    with pytest.raises(ValueError, match="activation"):
        modern.init_params_for("tanh", np.random.default_rng(0))


def test_adam_step_against_the_formulas():
    rng = np.random.default_rng(4)
    p = {"W1": rng.normal(size=(3, 2))}
    want = p["W1"].copy()
    m, v = {"W1": np.zeros((3, 2))}, {"W1": np.zeros((3, 2))}
    mw, vw = np.zeros((3, 2)), np.zeros((3, 2))
    for t in (1, 2, 3):
        g = {"W1": rng.normal(size=(3, 2))}
        mw = 0.9 * mw + 0.1 * g["W1"]
        vw = 0.999 * vw + 0.001 * g["W1"] ** 2
        want -= 0.01 * (mw / (1 - 0.9**t)) / (np.sqrt(vw / (1 - 0.999**t)) + 1e-8)
        modern.adam_step(p, g, m, v, t, 0.01)
    np.testing.assert_allclose(p["W1"], want, rtol=1e-13)
    # the first step moves every entry by lr (up to eps): the bias correction at work
    q, g = {"b": np.zeros(4)}, {"b": np.array([1e-3, -2.0, 50.0, -1e-6])}
    modern.adam_step(q, g, {"b": np.zeros(4)}, {"b": np.zeros(4)}, 1, 0.01)
    np.testing.assert_allclose(np.abs(q["b"]), 0.01, rtol=1e-2)
    with pytest.raises(ValueError, match="step number"):
        modern.adam_step(q, g, {"b": np.zeros(4)}, {"b": np.zeros(4)}, 0)


def test_adam_keeps_float32():
    p = {"W": np.ones(3, dtype=np.float32)}
    m, v = {"W": np.zeros(3, np.float32)}, {"W": np.zeros(3, np.float32)}
    modern.adam_step(p, {"W": np.ones(3, np.float32)}, m, v, 1)
    assert p["W"].dtype == m["W"].dtype == v["W"].dtype == np.float32


def test_plain_sgd_loop_is_the_package_minibatch_sgd():
    """Sigmoid + SGD in modern.train computes what nn.sgd_minibatch computes."""
    rng = np.random.default_rng(5)
    x = rng.random((70, 12))
    y = rng.integers(0, 4, size=70)
    p0 = nn.init_params(rng, (12, 6, 5, 4))
    a, b = nn.copy_params(p0), nn.copy_params(p0)
    nn.sgd_minibatch(a, x, y, epochs=3, lr=0.5, batch_size=16, rng=np.random.default_rng(9),
                     record_train=False)
    h = modern.train(b, x, y, activation="sigmoid", optimizer="sgd", lr=0.5, epochs=3,
                     batch_size=16, rng=np.random.default_rng(9), x_val=x, y_val=y)
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-10, atol=1e-12)
    assert len(h.test_acc) == 4 and h.epochs == 3 and h.step_loss.shape == (15,)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_every_contender_overfits_a_tiny_set(activation, optimizer):
    rng = np.random.default_rng(6)
    x = rng.random((20, 30))
    y = np.arange(20) % 10
    params = modern.init_params_for(activation, rng, (30, 16, 16, 10))
    lr = {"sgd": 0.5 if activation == "sigmoid" else 0.1, "adam": 0.01}[optimizer]
    h = modern.train(params, x, y, activation=activation, optimizer=optimizer, lr=lr, epochs=200,
                     batch_size=5, rng=rng, x_val=x, y_val=y)
    assert h.test_acc[-1] == 1.0 and h.test_loss[-1] < 0.1 * h.test_loss[0]


def test_divergence_is_an_error_not_a_warning():
    rng = np.random.default_rng(7)
    x = rng.random((64, 30)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    params = modern.init_params_he(rng, (30, 16, 16, 10), dtype=np.float32)
    with pytest.raises(nn.TrainingDiverged, match="too large"):      # float32 overflows to nan
        modern.train(params, x, y, activation="relu", lr=1e6, epochs=5, rng=rng)


def test_dead_fraction():
    params = modern.init_params_he(np.random.default_rng(8), (4, 3, 2, 2))
    params["b1"][:] = [-100.0, 0.0, 0.0]            # unit 0 of layer 1 can never fire
    x = np.random.default_rng(9).random((50, 4))
    dead = modern.dead_fraction(params, x)
    assert len(dead) == 2 and dead[0] == pytest.approx(1 / 3)


def test_bad_arguments_say_what_to_do():
    params, x, y = _tiny("relu")
    with pytest.raises(ValueError, match="optimizer"):
        modern.train(params, x, y, optimizer="rmsprop", lr=0.1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="default_rng"):
        modern.train(params, x, y, lr=0.1, rng=None)
    with pytest.raises(ValueError, match="learning rate"):
        modern.train(params, x, y, lr=-1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="activation"):
        modern.forward_act(params, x, "tanh")


def test_checks_pass_the_package_and_name_classic_mistakes():
    assert nn.check_relu_backward(modern.relu_backward)
    wrong = nn.check_relu_backward(lambda da, a: da * (a >= 0))
    assert not wrong and "a > 0, not a >= 0" in wrong.message

    def right(params, grads, m, v, t, lr, beta1, beta2, eps):
        modern.adam_step(params, grads, m, v, t, lr, beta1=beta1, beta2=beta2, eps=eps)

    def no_correction(params, grads, m, v, t, lr, beta1, beta2, eps):
        for k in params:
            m[k] *= beta1
            m[k] += (1 - beta1) * grads[k]
            v[k] *= beta2
            v[k] += (1 - beta2) * grads[k] ** 2
            params[k] -= lr * m[k] / (np.sqrt(v[k]) + eps)

    assert nn.check_adam_step(right)
    result = nn.check_adam_step(no_correction)
    assert not result and "bias correction" in result.message


def test_beyond_chapter_measures_what_it_says(built_book):
    """What the chapter's prose concludes, from the values its run glued (no re-execution)."""
    import json

    path = built_book.parent / "jupyter_execute" / "book" / "beyond.glue.json"
    glued = json.loads(path.read_text())
    v = {k: float(out["data"]["text/plain"]) for k, out in glued.items()
         if k.startswith("bey_") and "text/plain" in out["data"]
         and out["data"]["text/plain"].replace(".", "", 1).replace("e-", "", 1).isdigit()}
    assert v["bey_gc_max"] < 1e-6, "the ReLU gradient check on the page fails"
    assert v["bey_same"] < 1e-10, "the plain loop is not the book's sgd_minibatch"
    assert v["bey_ratio_he"] == pytest.approx(1.0, abs=0.5) and v["bey_ratio_half"] < 0.2
    assert v["bey_n_seeds"] >= 3 and v["bey_n_diverged"] >= 0
    assert v["bey_end_spread"] < v["bey_max_range"], "the prose says the split cannot rank them"
    assert v["bey_dead_adam_1"] > v["bey_dead_sgd_1"]
    assert all(0.9 < v[f"bey_{i}_test"] < 1.0 for i in range(4))
