"""The sigmoid: stable at any input, in float32 and float64, and the identities it must satisfy."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnscratch as nn

FLOATS = (np.float32, np.float64)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_extreme_inputs_are_finite_and_exact_limits(dtype):
    z = np.array([-1e4, -1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0, 1e4, -np.inf, np.inf], dtype=dtype)
    # overflow, invalid and divide raise here (underflow of exp(-1e4) to 0 is exact enough and silent)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = nn.sigmoid(z)
    assert s.dtype == dtype
    assert np.all(np.isfinite(s))
    assert np.all((s >= 0) & (s <= 1))
    assert s[4] == 0.5
    assert s[-1] == 1.0 and s[-2] == 0.0
    assert s[8] == 1.0 and s[0] == 0.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_keeps_relative_accuracy_for_negative_inputs(dtype):
    # sigma(z) ~ exp(z) for very negative z: the naive "1 - sigma(-z)" would return 0 here
    zs = [-30.0, -80.0] if dtype == np.float32 else [-30.0, -300.0, -700.0]
    for z in zs:
        got = float(nn.sigmoid(np.array(z, dtype=dtype)))
        exact = math.exp(z) / (1.0 + math.exp(z))
        assert got > 0
        assert abs(got - exact) / exact < 10 * np.finfo(dtype).eps


def test_sigmoid_integer_input_becomes_float64():
    s = nn.sigmoid(np.array([0, 255]))
    assert s.dtype == np.float64 and s[0] == 0.5


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_symmetry_and_derivative(z):
    s = nn.sigmoid(z)
    assert np.allclose(nn.sigmoid(-z), 1.0 - s, rtol=0, atol=1e-15)
    d = nn.sigmoid_prime(z)
    assert np.all(d >= 0) and np.all(d <= 0.25)
    assert np.allclose(d, s * (1 - s))


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_prime_matches_finite_differences(dtype):
    z = np.linspace(-8, 8, 41)
    h = 1e-5
    num = (nn.sigmoid(z + h) - nn.sigmoid(z - h)) / (2 * h)
    assert np.max(np.abs(num - nn.sigmoid_prime(z))) < 1e-9
    assert nn.sigmoid_prime(np.zeros(1, dtype=dtype))[0] == 0.25
    assert nn.sigmoid_prime(np.array([1e4, -1e4], dtype=dtype)).dtype == dtype
