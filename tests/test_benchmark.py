"""The benchmark's bookkeeping (timings themselves are never asserted: `make bench` prints them)."""

import numpy as np
import pytest

from nnscratch import benchmark
from nnscratch.benchmark import Timing


def rows(**seconds):
    names = {
        "homework": ("homework loop", 1), "ps": ("nnscratch per-sample", 1),
        "mb32": ("nnscratch minibatch B=32 float32", 32), "mb128": ("nnscratch minibatch B=128 float32", 128),
        "mb32_64": ("nnscratch minibatch B=32 float64", 32),
        "k1": ("Keras B=1", 1), "k32": ("Keras B=32", 32), "k128": ("Keras B=128", 128),
    }
    return [Timing(names[k][0], names[k][1], v, 60_000) for k, v in seconds.items()]


def bounds(ps=1.0, b32=0.1, b128=0.05):
    return [Timing("products only per-sample", 1, ps, 60_000),
            Timing("products only B=32 float32", 32, b32, 60_000),
            Timing("products only B=128 float32", 128, b128, 60_000)]


def test_floors_pass_when_every_ratio_is_met():
    t = rows(homework=24.0, ps=2.0, mb32=0.2, mb128=0.1, k1=50.0, k32=0.7, k128=0.4)
    verdicts = benchmark.check_floors(t, bounds())
    assert len(verdicts) == len(benchmark.FLOORS) + len(benchmark.BOUND_OF)
    assert all(v.met for v in verdicts)
    text, ok = benchmark.format_verdicts(verdicts)
    assert ok and "MISS" not in text and text.count("ok  ") == len(verdicts)


@pytest.mark.parametrize("which, seconds, bound_kw", [
    ("per-sample vs Keras B=1", dict(k1=39.0), {}),                 # 19.5x < 20x
    ("B=32 vs Keras", dict(k32=0.59), {}),                          # 2.95x < 3x
    ("B=128 vs Keras", dict(k128=0.29), {}),                        # 2.9x < 3x
    ("per-sample vs its bound", {}, dict(ps=0.6)),                  # 2.0 / 0.6 = 3.3x > 3x
    ("B=128 vs its bound", {}, dict(b128=0.03)),                    # 0.1 / 0.03 = 3.3x > 3x
])
def test_a_missed_floor_fails_the_benchmark(which, seconds, bound_kw):
    base = dict(homework=24.0, ps=2.0, mb32=0.2, mb128=0.1, k1=50.0, k32=0.7, k128=0.4)
    t = rows(**{**base, **seconds})
    verdicts = benchmark.check_floors(t, bounds(**bound_kw))
    missed = [v for v in verdicts if not v.met]
    assert len(missed) == 1, which
    text, ok = benchmark.format_verdicts(verdicts)
    assert not ok and text.count("MISS") == 1


def test_floor_ratios_are_baseline_over_candidate_and_entry_over_bound():
    t = rows(homework=24.0, ps=3.0, mb32=0.3, mb128=0.2, k1=80.0, k32=3.7, k128=1.4)
    v = benchmark.check_floors(t, bounds(ps=1.5, b32=0.15, b128=0.1))
    by_text = {x.text.split(":")[0]: x for x in v}
    assert by_text["nnscratch per-sample vs Keras B=1"].ratio == pytest.approx(80 / 3)
    assert by_text["nnscratch minibatch B=128 float32 vs Keras B=128"].ratio == pytest.approx(7.0)
    assert by_text["nnscratch per-sample"].ratio == pytest.approx(2.0)
    assert by_text["nnscratch per-sample"].limit == benchmark.BOUND_LIMIT
    assert set(benchmark.BOUND_OF) == {a for a, _, _ in benchmark.FLOORS} | {
        "nnscratch per-sample"}


def test_table_lists_every_entry_with_its_precision_and_ratios():
    t = rows(homework=6.0, ps=3.0, mb32=0.3, mb32_64=0.5, mb128=0.2, k1=60.0, k32=3.0, k128=1.0)
    table = benchmark.format_table(t)
    lines = table.splitlines()
    assert len(lines) == 1 + len(t)
    ps = next(l for l in lines if l.startswith("nnscratch per-sample"))
    assert "float64" in ps and "2.0x" in ps and "20.0x" in ps
    assert "10.0x" in next(l for l in lines if l.startswith("nnscratch minibatch B=32 float32"))
    assert "float32" in next(l for l in lines if l.startswith("Keras B=1"))


def test_homework_baseline_timing_runs_on_a_sample():
    rng = np.random.default_rng(0)
    params = benchmark.init_params(rng)
    x, y = rng.random((50, 784)), rng.integers(0, 10, 50)
    t = benchmark.time_homework(params, x, y, sample=50)
    assert t.name == "homework loop" and t.samples_timed == 50 and t.seconds_per_epoch > 0


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


def test_minibatch_and_per_sample_timings_are_the_fastest_of_the_same_number_of_passes(monkeypatch):
    rng = np.random.default_rng(2)
    params = benchmark.init_params(rng)
    x = (rng.random((64, 784)) * (rng.random((64, 784)) > 0.8)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    calls = []
    real = benchmark.sgd_minibatch

    def spy(*args, **kwargs):
        calls.append(kwargs["epochs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(benchmark, "sgd_minibatch", spy)
    t = benchmark.time_minibatch(params, x, y, 32, rng, repeats=3)
    assert calls == [3] and t.name == "nnscratch minibatch B=32 float32"
    assert benchmark.time_per_sample(params, x, y, sample=64, repeats=3).samples_timed == 64
