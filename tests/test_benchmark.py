"""The benchmark's bookkeeping (timings themselves are never asserted: `make bench` prints them)."""

import numpy as np
import pytest

from nnscratch import benchmark
from nnscratch.benchmark import Timing


def rows(**seconds):
    names = {
        "homework": ("homework loop", 1), "ps": ("nnscratch per-sample", 1),
        "mb32": ("nnscratch minibatch B=32 float32", 32), "mb128": ("nnscratch minibatch B=128 float32", 128),
        "k1": ("Keras B=1", 1), "k32": ("Keras B=32", 32), "k128": ("Keras B=128", 128),
    }
    return [Timing(names[k][0], names[k][1], v, 60_000) for k, v in seconds.items()]


def test_floors_are_ratios_of_baseline_to_candidate():
    t = rows(homework=24.0, ps=3.0, mb32=0.3, mb128=0.2, k1=80.0, k32=3.7, k128=1.4)
    verdict = {(a, b): (ratio, met) for a, b, ratio, need, met in benchmark.check_floors(t)}
    assert verdict["nnscratch per-sample", "homework loop"] == (8.0, True)
    assert verdict["nnscratch per-sample", "Keras B=1"][0] == pytest.approx(80 / 3)
    ratio, met = verdict["nnscratch minibatch B=128 float32", "Keras B=128"]
    assert ratio == pytest.approx(7.0) and not met


def test_table_lists_every_entry_with_its_ratios():
    t = rows(homework=6.0, ps=3.0, mb32=0.3, mb128=0.2, k1=60.0, k32=3.0, k128=1.0)
    table = benchmark.format_table(t)
    lines = table.splitlines()
    assert len(lines) == 1 + len(t)
    ps = next(l for l in lines if l.startswith("nnscratch per-sample"))
    assert "2.0x" in ps and "20.0x" in ps
    assert "10.0x" in next(l for l in lines if l.startswith("nnscratch minibatch B=32"))


def test_homework_baseline_timing_runs_on_a_sample():
    rng = np.random.default_rng(0)
    params = benchmark.init_params(rng)
    x, y = rng.random((50, 784)), rng.integers(0, 10, 50)
    t = benchmark.time_homework(params, x, y, sample=50)
    assert t.name == "homework loop" and t.samples_timed == 50 and t.seconds_per_epoch > 0


def test_best_possible_ratio_is_baseline_over_products_only_bound():
    t = rows(homework=6.0, ps=2.0, mb32=0.2, mb128=0.12, k1=50.0, k32=1.5, k128=0.5)
    bounds = [Timing("products only per-sample", 1, 1.2, 60_000),
              Timing("products only B=32 float32", 32, 0.1, 60_000),
              Timing("products only B=128 float32", 128, 0.08, 60_000)]
    best = {(a, b): (need, most) for a, b, need, most in benchmark.best_possible(t, bounds)}
    assert best["nnscratch per-sample", "homework loop"] == (6.0, pytest.approx(5.0))
    assert best["nnscratch per-sample", "Keras B=1"][1] == pytest.approx(50 / 1.2)
    assert best["nnscratch minibatch B=32 float32", "Keras B=32"][1] == pytest.approx(15.0)
    assert best["nnscratch minibatch B=128 float32", "Keras B=128"][1] == pytest.approx(6.25)
    assert set(benchmark.BOUND_OF) == {a for a, _, _ in benchmark.FLOORS}


def test_products_only_bounds_run_and_leave_the_weights_alone():
    rng = np.random.default_rng(1)
    params = benchmark.init_params(rng)
    before = {k: v.copy() for k, v in params.items()}
    x = rng.random((300, 784)) * (rng.random((300, 784)) > 0.8)
    ps = benchmark.time_per_sample_products_only(params, x)
    mb = benchmark.time_products_only(params, x, 32, rng)
    assert ps.name == benchmark.BOUND_OF["nnscratch per-sample"] and ps.samples_timed == 300
    assert mb.name == benchmark.BOUND_OF["nnscratch minibatch B=32 float32"]
    assert mb.samples_timed == 288 and mb.seconds_per_epoch > 0     # 9 whole batches of 32
    assert all(np.array_equal(params[k], before[k]) for k in params)
