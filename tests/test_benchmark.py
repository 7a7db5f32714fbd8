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
