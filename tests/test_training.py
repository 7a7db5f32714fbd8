"""Training: the fast loops compute what the plain definitions compute, failures are loud, and on
real MNIST the network learns as the book says it does."""

import math

import numpy as np
import pytest

import nnscratch as nn


def blobs(rng, n=300, d=20, c=3):
    """A small, learnable problem: c Gaussian clusters in [0, 1]^d, about 60 % zeros like MNIST."""
    centres = rng.random((c, d)) * (rng.random((c, d)) > 0.6)
    y = rng.integers(0, c, size=n)
    x = np.clip(centres[y] + 0.05 * rng.normal(size=(n, d)), 0, 1) * (centres[y] > 0)
    return x, y


def test_fast_per_sample_sgd_equals_the_plain_loop():
    rng = np.random.default_rng(0)
    x, y = blobs(rng, n=1000, d=50, c=4)
    start = nn.init_params(rng, (50, 8, 8, 4))
    fast, plain = nn.copy_params(start), nn.copy_params(start)
    hist = nn.sgd_per_sample(fast, x, y, epochs=1, lr=0.05, progress=False)
    losses = nn.sgd_per_sample_reference(plain, x, y, steps=1000, lr=0.05)
    assert hist.step_loss.shape == (1000,)
    assert np.max(np.abs(hist.step_loss - losses)) <= 1e-10
    for k in start:
        assert np.max(np.abs(fast[k] - plain[k])) <= 1e-10, k
        assert not np.array_equal(fast[k], start[k]), f"{k} never changed"


def test_per_sample_matches_the_homework_loop():
    """The benchmark's baseline (the homework's loop, written plainly) computes the same thing."""
    from nnscratch import homework

    rng = np.random.default_rng(1)
    x, y = blobs(rng, n=200, d=30, c=3)
    start = nn.init_params(rng, (30, 6, 6, 3))
    ours = nn.copy_params(start)
    nn.sgd_per_sample(ours, x, y, epochs=1, lr=0.1, progress=False)
    W = [start[f"W{l}"].copy() for l in (1, 2, 3)]
    b = [start[f"b{l}"].copy() for l in (1, 2, 3)]
    homework.train_epoch(x, y, W, b, lr=0.1)
    for l in (1, 2, 3):
        assert np.max(np.abs(W[l - 1] - ours[f"W{l}"])) <= 1e-10


@pytest.mark.parametrize("sizes", [(10, 5, 3), (10, 3)], ids=["one hidden layer", "no hidden layer"])
def test_minibatch_without_shuffle_is_full_batch_gradient_descent(sizes):
    """With no hidden layer (softmax regression) the loop has no sigmoid and computes no da."""
    rng = np.random.default_rng(2)
    x, y = blobs(rng, n=64, d=10, c=3)
    start = nn.init_params(rng, sizes)
    a, b = nn.copy_params(start), nn.copy_params(start)
    nn.sgd_minibatch(a, x, y, epochs=3, lr=0.5, batch_size=64, shuffle=False, progress=False)
    for _ in range(3):
        _, g = nn.loss_and_grads(b, x, y)
        for k in b:
            b[k] -= 0.5 * g[k]
    for k in start:
        assert np.max(np.abs(a[k] - b[k])) <= 1e-12


def test_minibatch_learns_and_records_history():
    rng = np.random.default_rng(3)
    x, y = blobs(rng)
    params = nn.init_params(rng, (20, 16, 16, 3))
    h = nn.sgd_minibatch(params, x, y, epochs=15, lr=0.5, batch_size=16, momentum=0.9,
                         rng=rng, x_test=x, y_test=y, progress=False)
    assert h.steps_per_epoch == math.ceil(300 / 16) and h.step_loss.shape == (15 * 19,)
    assert len(h.test_acc) == 16 and len(h.seconds) == 15
    assert h.test_acc[-1] > 0.9 and h.train_loss[-1] < h.train_loss[0] / 3


def test_shuffling_is_reproducible_from_the_generator():
    x, y = blobs(np.random.default_rng(4))
    start = nn.init_params(np.random.default_rng(5), (20, 4, 3))
    runs = []
    for _ in range(2):
        p = nn.copy_params(start)
        nn.sgd_minibatch(p, x, y, epochs=2, batch_size=10, rng=np.random.default_rng(9), progress=False)
        runs.append(p)
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in start)
    with pytest.raises(TypeError, match="rng"):
        nn.sgd_minibatch(nn.copy_params(start), x, y, epochs=1, progress=False)


@pytest.mark.parametrize("trainer", ["per_sample", "minibatch"])
def test_divergence_stops_with_the_step_and_a_hint(trainer):
    rng = np.random.default_rng(6)
    x, y = blobs(rng, n=100)
    params = nn.init_params(rng, (20, 8, 3))
    x[25, 3] = np.nan                            # one corrupted input: its loss is NaN
    with np.errstate(invalid="ignore"):
        with pytest.raises(nn.TrainingDiverged) as err:
            if trainer == "per_sample":
                nn.sgd_per_sample(params, x, y, epochs=1, progress=False)
            else:
                nn.sgd_minibatch(params, x, y, epochs=1, batch_size=10, shuffle=False, progress=False)
    step = 25 if trainer == "per_sample" else 2
    assert f"nan at step {step} " in str(err.value)
    assert "learning rate" in str(err.value) and "scaled" in str(err.value)


def test_training_rejects_bad_arguments():
    params = nn.init_params(np.random.default_rng(0), (4, 3, 2))
    x, y = np.zeros((5, 4)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="learning rate"):
        nn.sgd_per_sample(params, x, y, lr=-1.0, progress=False)
    with pytest.raises(ValueError, match="shape"):
        nn.sgd_per_sample(params, np.zeros((5, 3)), y, progress=False)
    with pytest.raises(TypeError, match="floats"):
        nn.sgd_per_sample(params, x.astype(np.uint8), y, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        nn.sgd_minibatch(params, x, y, batch_size=0, shuffle=False, progress=False)


# --- on real MNIST (NNSCRATCH_DATA; CI always sets it) ---------------------------------------

def test_loss_at_initialisation_is_near_ln10(mnist):
    params = nn.init_params(np.random.default_rng(0))
    loss, acc = nn.evaluate(params, mnist.x_test, mnist.y_test)
    assert abs(loss - math.log(10)) <= 0.15
    assert 0.03 <= acc <= 0.2


def test_one_epoch_of_homework_sgd_scaled_beats_raw(mnist):
    from nnscratch.data import load_mnist

    raw = load_mnist(scale=False)
    start = nn.init_params(np.random.default_rng(0))
    scaled_params, raw_params = nn.copy_params(start), nn.copy_params(start)
    h_scaled = nn.sgd_per_sample(scaled_params, mnist.x_train, mnist.y_train, epochs=1,
                                 x_test=mnist.x_test, y_test=mnist.y_test, progress=False)
    h_raw = nn.sgd_per_sample(raw_params, raw.x_train, raw.y_train, epochs=1,
                              x_test=raw.x_test, y_test=raw.y_test, progress=False)
    assert h_scaled.test_acc[-1] >= 0.84
    assert h_raw.test_acc[-1] <= h_scaled.test_acc[-1] - 0.05


def test_shuffled_minibatch_equals_a_plain_loop_over_batches():
    """sgd_minibatch (per-batch gathers) computes what the textbook loop computes."""
    rng = np.random.default_rng(7)
    x, y = blobs(rng, n=250, d=12, c=3)
    start = nn.init_params(rng, (12, 6, 5, 3))
    fast, plain = nn.copy_params(start), nn.copy_params(start)
    nn.sgd_minibatch(fast, x, y, epochs=4, lr=0.3, batch_size=16, momentum=0.5,
                     rng=np.random.default_rng(11), progress=False)
    order_rng, velocity = np.random.default_rng(11), {k: np.zeros_like(v) for k, v in start.items()}
    for _ in range(4):
        order = order_rng.permutation(250)
        for i in range(0, 250, 16):
            idx = order[i : i + 16]
            _, g = nn.loss_and_grads(plain, x[idx], y[idx])
            for k in plain:
                velocity[k] = 0.5 * velocity[k] - 0.3 * g[k]
                plain[k] += velocity[k]
    for k in start:
        assert np.max(np.abs(fast[k] - plain[k])) <= 1e-10, k


def test_fast_per_sample_equals_plain_loop_on_real_digits(mnist):
    """1,000 steps on real MNIST (sparse inputs, the case the fast loop is built for)."""
    start = nn.init_params(np.random.default_rng(3))
    fast, plain = nn.copy_params(start), nn.copy_params(start)
    x, y = mnist.x_train[:1000], mnist.y_train[:1000]
    nn.sgd_per_sample(fast, x, y, epochs=1, progress=False)
    nn.sgd_per_sample_reference(plain, x, y, steps=1000)
    for k in start:
        assert np.max(np.abs(fast[k] - plain[k])) <= 1e-10, k


@pytest.mark.parametrize("setting, shown", [("0", False), ("1", True)])
def test_progress_bar_follows_the_environment(monkeypatch, capsys, setting, shown):
    """A bar on stderr when asked for (or interactive); nothing at all in the static build (0)."""
    monkeypatch.setenv("NNSCRATCH_PROGRESS", setting)
    rng = np.random.default_rng(8)
    x, y = blobs(rng, n=50)
    nn.sgd_minibatch(nn.init_params(rng, (20, 4, 3)), x, y, epochs=2, batch_size=10, rng=rng,
                     label="demo run")
    err = capsys.readouterr().err
    assert ("demo run" in err) == shown
    if not shown:
        assert err == ""


def test_minibatch_options_equal_the_textbook_update():
    """Momentum, weight decay, lr decay, a short last batch and float32 weights: the fused loop
    (work arrays, lr folded into dz) matches loss_and_grads plus the update written out."""
    rng = np.random.default_rng(12)
    x, y = blobs(rng, n=150, d=16, c=4)              # 150 = 4 batches of 40 minus 10: short last batch
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 1e-5)):
        start = nn.init_params(np.random.default_rng(13), (16, 7, 5, 4), dtype=dtype)
        fast, plain = nn.copy_params(start), nn.copy_params(start)
        kw = dict(lr=0.4, momentum=0.8, lr_decay=0.7, weight_decay=0.01)
        hist = nn.sgd_minibatch(fast, x, y, epochs=3, batch_size=40, rng=np.random.default_rng(14),
                                progress=False, **kw)
        order_rng = np.random.default_rng(14)
        velocity = {k: np.zeros_like(v) for k, v in start.items()}
        losses = []
        for epoch in range(3):
            lr_now = kw["lr"] * kw["lr_decay"] ** epoch
            order = order_rng.permutation(150)
            for i in range(0, 150, 40):
                idx = order[i : i + 40]
                loss, g = nn.loss_and_grads(plain, x[idx], y[idx])
                losses.append(loss)
                for k in plain:
                    if k[0] == "W":
                        g[k] = g[k] + kw["weight_decay"] * plain[k]
                    velocity[k] = kw["momentum"] * velocity[k] - lr_now * g[k]
                    plain[k] += velocity[k]
        assert hist.step_loss.shape == (12,)
        assert np.max(np.abs(hist.step_loss - np.array(losses))) <= tol
        for k in start:
            assert fast[k].dtype == dtype, k
            assert np.max(np.abs(fast[k] - plain[k])) <= tol, (dtype, k)


def test_per_sample_needs_a_hidden_layer_and_says_what_to_use_instead():
    x, y = blobs(np.random.default_rng(15), n=20, d=8, c=3)
    params = nn.init_params(np.random.default_rng(16), (8, 3))
    with pytest.raises(ValueError, match="hidden layer.*sgd_minibatch"):
        nn.sgd_per_sample(params, x, y, progress=False)


def test_in_place_sigmoid_matches_the_stable_one_and_never_warns():
    from nnscratch.training import _sigmoid_inplace

    for dtype in (np.float64, np.float32):
        z = np.array([-np.inf, -1e4, -800.0, -40.0, -3.0, 0.0, 1e-9, 2.5, 40.0, 1e4, np.inf], dtype=dtype)
        with np.errstate(all="raise"):
            got = _sigmoid_inplace(z.copy())
        assert got.dtype == dtype
        assert np.max(np.abs(got - nn.sigmoid(z))) <= 2 * np.finfo(dtype).eps
        assert got[0] == 0.0 and got[-1] == 1.0 and got[5] == 0.5


def test_record_train_false_skips_only_the_training_set_evaluation():
    rng = np.random.default_rng(5)
    x, y = blobs(rng, n=96, d=20, c=3)
    xv, yv = blobs(rng, n=40, d=20, c=3)
    start = nn.init_params(rng, (20, 6, 3))
    for trainer, kw in [(nn.sgd_minibatch, lambda: dict(batch_size=16, rng=np.random.default_rng(0))),
                        (nn.sgd_per_sample, dict)]:
        a, b = nn.copy_params(start), nn.copy_params(start)
        ha = trainer(a, x, y, epochs=2, lr=0.1, x_test=xv, y_test=yv, progress=False, **kw())
        hb = trainer(b, x, y, epochs=2, lr=0.1, x_test=xv, y_test=yv, progress=False,
                     record_train=False, **kw())
        assert hb.train_loss == [] and hb.train_acc == [] and len(ha.train_acc) == 3
        assert hb.test_acc == ha.test_acc and len(hb.test_acc) == 3
        for k in start:
            assert np.array_equal(a[k], b[k]), k


def test_join_histories_equals_one_run_trained_in_one_call():
    rng = np.random.default_rng(6)
    x, y = blobs(rng, n=80, d=20, c=3)
    start = nn.init_params(rng, (20, 6, 6, 3))
    once, twice = nn.copy_params(start), nn.copy_params(start)
    whole = nn.sgd_per_sample(once, x, y, epochs=3, lr=0.1, x_test=x, y_test=y, progress=False)
    first = nn.sgd_per_sample(twice, x, y, epochs=1, lr=0.1, x_test=x, y_test=y, progress=False)
    rest = nn.sgd_per_sample(twice, x, y, epochs=2, lr=0.1, x_test=x, y_test=y, progress=False)
    joined = nn.join_histories(first, rest)
    assert np.array_equal(joined.step_loss, whole.step_loss)
    for name in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert getattr(joined, name) == getattr(whole, name), name
    assert joined.epochs == 3
    mb = nn.sgd_minibatch(nn.copy_params(start), x, y, epochs=1, batch_size=16,
                          rng=np.random.default_rng(0), progress=False)
    with pytest.raises(ValueError, match="two parts of one run"):
        nn.join_histories(first, mb)
