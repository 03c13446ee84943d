"""Properties of the shared math in snippets/core.py."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets.core import (
    apply_mask,
    attention,
    causal_mask,
    merge_heads,
    multi_head_attention,
    padding_mask,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

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


@given(qkv(), st.data())
def test_masked_keys_get_exactly_zero_weight(inputs, data):
    queries, keys, values = inputs
    mask = data.draw(arrays(bool, (len(queries), len(keys))))
    mask[:, data.draw(st.integers(0, len(keys) - 1))] = True  # every query sees one key
    _, weights = attention(queries, keys, values, mask=mask)
    assert (weights[~mask] == 0.0).all()
    assert_allclose(weights.sum(axis=1), 1.0)
    # The masked result is attention over the visible keys alone, row by row.
    for row in range(len(queries)):
        visible = mask[row]
        _, alone = attention(queries[row : row + 1], keys[visible], values[visible])
        assert_allclose(weights[row, visible], alone[0], atol=1e-12)


def test_a_query_that_sees_nothing_is_an_error():
    with pytest.raises(ValueError, match="at least one key"):
        apply_mask(np.zeros((2, 2)), np.array([[True, False], [False, False]]))


def test_causal_and_padding_masks_by_hand():
    assert causal_mask(3).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert padding_mask(3, 5).tolist() == [[1, 1, 1, 0, 0]]


def test_causal_attention_ignores_the_future():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    output, _ = scaled_dot_product_attention(x, x, x, causal_mask(5))
    changed = x.copy()
    changed[3:] += 10.0  # rewrite the last two words
    changed_output, _ = scaled_dot_product_attention(changed, changed, changed, causal_mask(5))
    assert_allclose(changed_output[:3], output[:3], atol=1e-12)


def test_scaled_dot_product_divides_by_root_d_k():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=(4, 2))
    _, weights = scaled_dot_product_attention(q, k, v)
    assert_allclose(weights, softmax(q @ k.T / 4.0), rtol=1e-12)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 5))
def test_split_then_merge_heads_is_the_identity(n_heads, d_head, n):
    x = np.arange(n * n_heads * d_head, dtype=float).reshape(n, n_heads * d_head)
    heads = split_heads(x, n_heads)
    assert heads.shape == (n_heads, n, d_head)
    assert_allclose(merge_heads(heads), x)


def test_split_heads_needs_a_divisible_width():
    with pytest.raises(ValueError, match="not divisible"):
        split_heads(np.zeros((2, 5)), 2)


def test_one_head_is_projected_scaled_dot_product_attention():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6))
    w_q, w_k, w_v, w_o = (rng.normal(size=(6, 6)) for _ in range(4))
    output, weights = multi_head_attention(x, x, w_q, w_k, w_v, w_o, n_heads=1)
    expected, expected_weights = scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v)
    assert_allclose(output, expected @ w_o, atol=1e-12)
    assert_allclose(weights[0], expected_weights, atol=1e-12)


def test_heads_see_their_own_slice_of_the_projection():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4))
    w_q, w_k, w_v = (rng.normal(size=(4, 4)) for _ in range(3))
    _, weights = multi_head_attention(x, x, w_q, w_k, w_v, np.eye(4), n_heads=2)
    for head, columns in enumerate((slice(0, 2), slice(2, 4))):
        _, expected = scaled_dot_product_attention(
            (x @ w_q)[:, columns], (x @ w_k)[:, columns], (x @ w_v)[:, columns]
        )
        assert_allclose(weights[head], expected, atol=1e-12)
