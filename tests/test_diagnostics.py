"""nnscratch.diagnostics: gradients per layer, update ratios, early stopping, baselines, W1 plot."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import diagnostics as dg


def _tiny(seed=0, sizes=(6, 5, 4, 3), n=5):
    rng = np.random.default_rng(seed)
    params = nn.init_params(rng, sizes)
    for k in range(1, len(sizes)):
        params[f"b{k}"] = rng.normal(size=sizes[k])          # non-zero biases
    x = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    return params, x, y


def test_pre_activation_grads_match_finite_differences_and_backward():
    params, x, y = _tiny()
    dzs = dg.pre_activation_grads(params, x, y)
    assert [dz.shape for dz in dzs] == [(5, 5), (5, 4), (5, 3)]
    grads = nn.loss_and_grads(params, x, y)[1]
    for k, dz in enumerate(dzs, start=1):                    # db_k is dz_k summed over the batch
        assert np.allclose(dz.sum(axis=0), grads[f"b{k}"], rtol=1e-12, atol=1e-15)
    # and dW_1 = x^T dz_1, against the package's backward pass (tested by finite differences)
    assert np.allclose(x.T @ dzs[0], grads["W1"], rtol=1e-12, atol=1e-15)


def test_gradient_sizes_are_per_sample_norms():
    params, x, y = _tiny(1)
    sizes = dg.gradient_sizes(params, x, y)
    assert sizes.shape == (3,)
    for k in range(3):                                       # one sample's own gradient, N = 1
        per = [np.linalg.norm(dg.pre_activation_grads(params, x[n:n + 1], y[n:n + 1])[k])
               for n in range(len(y))]
        assert np.isclose(sizes[k], np.mean(per), rtol=1e-12)
    # the top layer's per-sample gradient p - onehot has norm below sqrt(2)
    assert 0 < sizes[-1] < np.sqrt(2)


def test_update_ratios_definition_and_errors():
    params, x, y = _tiny(2)
    grads = nn.loss_and_grads(params, x, y)[1]
    r = dg.update_ratios(params, grads, 0.1)
    want = [0.1 * np.linalg.norm(grads[f"W{k}"]) / np.linalg.norm(params[f"W{k}"])
            for k in (1, 2, 3)]
    assert np.allclose(r, want, rtol=1e-12)
    assert np.allclose(dg.update_ratios(params, grads, 0.2), 2 * r, rtol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        dg.update_ratios(params, grads, 0.0)
    params["W2"][:] = 0.0
    with pytest.raises(ValueError, match="all zeros"):
        dg.update_ratios(params, grads, 0.1)


@pytest.mark.parametrize("scores, patience, want", [
    ([0.1, 0.5, 0.7, 0.72, 0.71, 0.70, 0.73], 2, (3, 5)),
    ([0.1, 0.5, 0.7, 0.72, 0.71, 0.70, 0.73], 3, (6, 6)),
    ([0.1, 0.6, 0.6, 0.6], 2, (1, 3)),
    ([0.1, 0.2], 5, (1, 1)),
])
def test_early_stopping(scores, patience, want):
    assert dg.early_stopping(scores, patience) == want
    losses = [-s for s in scores]
    assert dg.early_stopping(losses, patience, higher_is_better=False) == want


def test_early_stopping_rejects_bad_input():
    with pytest.raises(ValueError, match="patience"):
        dg.early_stopping([0.1, 0.2], 0)
    with pytest.raises(ValueError, match="finite"):
        dg.early_stopping([0.1, float("nan")], 1)


def test_nearest_class_mean_classifies_its_own_means():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 7))
    y = np.arange(40) % 4
    means = dg.nearest_class_mean(x, y, n_classes=4)
    assert means.shape == (4, 7) and np.allclose(means[2], x[y == 2].mean(axis=0))
    assert np.array_equal(dg.predict_nearest_mean(means, means), np.arange(4))
    d = ((x[:, None, :] - means[None]) ** 2).sum(axis=2)     # brute force distances (N, C)
    assert np.array_equal(dg.predict_nearest_mean(means, x), d.argmin(axis=1))
    with pytest.raises(ValueError, match="every class"):
        dg.nearest_class_mean(x, y, n_classes=5)


def test_plot_first_layer_uses_a_symmetric_scale():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    W1 = np.random.default_rng(4).normal(size=(784, 10)) + 0.3
    fig = dg.plot_first_layer(W1, title="t")
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 10
    lo, hi = images[0].get_clim()
    assert lo == -hi == -np.abs(W1).max()
    assert len(fig.axes) == 16 + 1                           # 2 x 8 panels and the colour bar
    plt.close(fig)
    with pytest.raises(ValueError, match="784"):
        dg.plot_first_layer(W1[:100])


def test_the_network_overfits_a_tiny_set():
    """The chapter's first health check, on random data: 20 samples are learned exactly."""
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(20, 30))
    y = rng.integers(0, 4, size=20)
    params = nn.init_params(rng, (30, 16, 16, 4))
    nn.sgd_minibatch(params, x, y, epochs=400, lr=0.5, batch_size=5, rng=rng, progress=False,
                     record_train=False)
    assert nn.accuracy(params, x, y) == 1.0


def test_backward_factors_multiply_to_the_gradient_sizes():
    params, x, y = _tiny(6)
    w_f, s_f = dg.backward_factors(params, x, y)
    sizes = dg.gradient_sizes(params, x, y)
    assert w_f.shape == s_f.shape == (2,)
    for k in (2, 3):                                         # size_{k-1} = size_k * w * s
        assert np.isclose(sizes[k - 2], sizes[k - 1] * w_f[k - 2] * s_f[k - 2], rtol=1e-12)
    assert np.all(s_f <= 0.25) and np.all(s_f > 0)           # sigma' <= 1/4
