"""Properties of the shared math in snippets/core.py."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets.core import attention, softmax

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
score_rows = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 8)), elements=finite)


def test_softmax_by_hand():
    scores = np.array([0.2, 1.0, 0.7, 0.1, 0.2, 0.3])
    expected = np.exp(scores) / np.exp(scores).sum()
    assert_allclose(softmax(scores), expected, rtol=1e-12)
    assert_allclose(softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75], rtol=1e-12)


@given(score_rows)
def test_softmax_rows_are_distributions(scores):
    weights = softmax(scores)
    assert weights.shape == scores.shape
    assert (weights >= 0).all()
    assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


@given(score_rows, finite)
def test_softmax_ignores_a_constant_shift(scores, shift):
    assert_allclose(softmax(scores + shift), softmax(scores), atol=1e-12)


@given(arrays(np.float64, st.integers(1, 8), elements=st.sampled_from([-1000.0, 0.0, 1000.0])))
def test_softmax_is_finite_for_huge_scores(scores):
    weights = softmax(scores)
    assert np.isfinite(weights).all()
    assert_allclose(weights.sum(), 1.0)


def test_softmax_along_other_axis():
    scores = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert_allclose(softmax(scores, axis=0).sum(axis=0), [1.0, 1.0])


@st.composite
def qkv(draw):
    n_q, n_k, d, d_v = (draw(st.integers(1, 6)) for _ in range(4))
    element = st.floats(-3, 3, allow_nan=False)
    return (
        draw(arrays(np.float64, (n_q, d), elements=element)),
        draw(arrays(np.float64, (n_k, d), elements=element)),
        draw(arrays(np.float64, (n_k, d_v), elements=element)),
    )


@given(qkv(), st.floats(0.1, 10))
def test_attention_output_is_a_convex_combination_of_values(inputs, temperature):
    queries, keys, values = inputs
    output, weights = attention(queries, keys, values, temperature)
    assert weights.shape == (len(queries), len(keys))
    assert output.shape == (len(queries), values.shape[1])
    assert_allclose(weights.sum(axis=1), 1.0)
    assert_allclose(output, weights @ values)
    assert (output >= values.min(axis=0) - 1e-9).all()
    assert (output <= values.max(axis=0) + 1e-9).all()


@given(qkv(), st.randoms(use_true_random=False))
def test_self_attention_is_permutation_equivariant(inputs, random):
    vectors = inputs[1]
    order = list(range(len(vectors)))
    random.shuffle(order)
    output, weights = attention(vectors, vectors, vectors)
    shuffled_output, shuffled_weights = attention(vectors[order], vectors[order], vectors[order])
    assert_allclose(shuffled_output, output[order], atol=1e-12)
    assert_allclose(shuffled_weights, weights[np.ix_(order, order)], atol=1e-12)


def test_temperature_sharpens_and_flattens():
    keys = np.eye(3)
    query = np.array([[1.0, 0.5, 0.0]])
    _, cold = attention(query, keys, keys, temperature=0.1)
    _, warm = attention(query, keys, keys, temperature=10.0)
    assert cold[0].max() > 0.99
    assert warm[0].max() - warm[0].min() < 0.05
