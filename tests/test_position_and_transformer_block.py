"""Lesson 04: positions break permutation equivariance; the pre-LN Transformer block."""

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets import position_and_transformer_block as lesson
from snippets.attention_intuition import embed
from snippets.core import multi_head_attention

PAGE = Path(__file__).resolve().parents[1] / "docs" / "04_position_and_transformer_block.md"

finite = st.floats(-3, 3, allow_nan=False)


def toy(sentence):
    return embed(sentence, lesson.WORD_VECTORS)


def random_block(rng, d_model, n_heads, d_ff=None, scale=1.0):
    d_ff = d_ff or 4 * d_model
    w = rng.normal(0.0, scale / np.sqrt(d_model), size=(4, d_model, d_model))
    return lesson.BlockWeights(
        *w,
        w_1=rng.normal(0.0, scale / np.sqrt(d_model), size=(d_model, d_ff)),
        b_1=rng.normal(0.0, 0.1, size=d_ff),
        w_2=rng.normal(0.0, scale / np.sqrt(d_ff), size=(d_ff, d_model)),
        b_2=rng.normal(0.0, 0.1, size=d_model),
        n_heads=n_heads,
    )


# 1. Permutation equivariance -------------------------------------------------------------


def test_the_two_sentences_are_one_permutation_apart():
    assert sorted(lesson.SENTENCE_A) == sorted(lesson.SENTENCE_B)
    assert lesson.SENTENCE_A != lesson.SENTENCE_B
    permutation = [lesson.SENTENCE_A.index(word) for word in lesson.SENTENCE_B]
    assert_allclose(toy(lesson.SENTENCE_A)[permutation], toy(lesson.SENTENCE_B))


def test_dog_gets_the_same_vector_in_both_sentences_without_positions():
    a = lesson.outputs_by_word(lesson.SENTENCE_A)
    b = lesson.outputs_by_word(lesson.SENTENCE_B)
    for word in lesson.SENTENCE_A:
        assert_allclose(a[word], b[word], atol=1e-12)


def tokens_permutation_and_seed(min_tokens: int):
    """n token vectors of width 4, a reordering of them, and a seed for random weights."""
    return st.integers(min_tokens, 6).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 4), elements=finite),
            st.permutations(range(n)),
            st.integers(0, 2**32 - 1),
        )
    )


@given(tokens_permutation_and_seed(min_tokens=1))
def test_self_attention_is_permutation_equivariant(case):
    x, permutation, seed = case
    w_q, w_k, w_v, w_o = np.random.default_rng(seed).normal(size=(4, 4, 4))
    output, weights = multi_head_attention(x, x, w_q, w_k, w_v, w_o, n_heads=2)
    shuffled, shuffled_weights = multi_head_attention(
        x[permutation], x[permutation], w_q, w_k, w_v, w_o, n_heads=2
    )
    assert_allclose(shuffled, output[permutation], atol=1e-9)
    # The weights move with the tokens on both axes: P W Pᵀ.
    assert_allclose(shuffled_weights, weights[:, permutation][:, :, permutation], atol=1e-9)


@given(tokens_permutation_and_seed(min_tokens=2))
def test_the_whole_block_is_permutation_equivariant_without_positions(case):
    x, permutation, seed = case
    block = random_block(np.random.default_rng(seed), 4, 2)
    output, _ = lesson.transformer_block(x, block)
    shuffled, _ = lesson.transformer_block(x[permutation], block)
    assert_allclose(shuffled, output[permutation], atol=1e-8)


def test_positions_break_the_symmetry():
    a = lesson.outputs_with_positions(lesson.SENTENCE_A)
    b = lesson.outputs_with_positions(lesson.SENTENCE_B)
    assert not np.allclose(a["dog"], b["dog"], atol=1e-3)
    x = toy(lesson.SENTENCE_A)
    permutation = [2, 1, 0]
    output, _ = lesson.self_attention(lesson.add_positions(x))
    shuffled, _ = lesson.self_attention(lesson.add_positions(x[permutation]))
    assert not np.allclose(shuffled, output[permutation], atol=1e-3)


def test_word_order_gap_is_zero_without_positions_and_not_with_them():
    without = lesson.word_order_gap(lesson.SENTENCE_A, lesson.SENTENCE_B, positions=False)
    with_positions = lesson.word_order_gap(lesson.SENTENCE_A, lesson.SENTENCE_B, positions=True)
    assert_allclose(without, 0.0, atol=1e-12)
    assert (with_positions > 0.5).all()
    # "bites" stays in the middle, yet its output changes: its neighbours swapped places.
    assert with_positions[lesson.SENTENCE_A.index("bites")] > 0.5


# 2. Sinusoidal positional encoding --------------------------------------------------------


def test_positional_encoding_by_hand():
    pe = lesson.positional_encoding(3, 4)
    # ω = 1 for dims 0-1 and 1/100 for dims 2-3.
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)],
        [np.sin(2), np.cos(2), np.sin(0.02), np.cos(0.02)],
    ]
    assert_allclose(pe, expected, atol=1e-15)


def test_odd_d_model_is_refused():
    with pytest.raises(ValueError, match="even"):
        lesson.positional_encoding(3, 5)


@given(st.integers(1, 80), st.integers(1, 64).map(lambda half: 2 * half))
def test_values_lie_in_minus_one_one_and_rows_have_norm_sqrt_half_d(n, d_model):
    pe = lesson.positional_encoding(n, d_model)
    assert pe.shape == (n, d_model)
    assert (np.abs(pe) <= 1.0).all()
    assert_allclose(np.linalg.norm(pe, axis=1), np.sqrt(d_model / 2))


@given(
    st.integers(0, 200),
    st.integers(-50, 50),
    st.integers(0, 200),
    st.integers(1, 32).map(lambda half: 2 * half),
)
def test_shift_is_one_linear_map_per_distance(p, k, q, d_model):
    # The same matrix moves any position p (and q) by k: a rotation, so it keeps lengths.
    if min(p, q) + k < 0:
        k = -min(p, q)
    pe = lesson.positional_encoding(max(p, q) + max(k, 0) + 1, d_model)
    shift = lesson.shift_matrix(k, d_model)
    assert_allclose(pe[p] @ shift, pe[p + k], atol=1e-9)
    assert_allclose(pe[q] @ shift, pe[q + k], atol=1e-9)
    assert_allclose(shift @ shift.T, np.eye(d_model), atol=1e-12)


@given(st.integers(0, 100), st.integers(0, 100), st.integers(1, 32).map(lambda h: 2 * h))
def test_similarity_depends_only_on_the_distance(p, q, d_model):
    pe = lesson.positional_encoding(201, d_model)
    k = abs(p - q)
    frequencies = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)
    closed_form = np.cos(k * frequencies).sum()  # Σ_i cos(k ω_i)
    assert_allclose(pe[p] @ pe[q], closed_form, atol=1e-9)
    assert_allclose(pe[p] @ pe[q], pe[100] @ pe[100 + k], atol=1e-9)
    assert_allclose(pe[p] @ pe[q], pe[100] @ pe[100 - k], atol=1e-9)


def test_similarity_by_distance_doctest_claims():
    distances = np.array([0, 1, 2, 4, 8, 16, 32])
    assert_allclose(
        lesson.similarity_by_distance(0, distances, 32),
        lesson.similarity_by_distance(20, distances, 32),
        atol=1e-9,
    )
    assert lesson.similarity_by_distance(0, distances, 32)[0] == pytest.approx(16.0)


def lesson_cosine(d_model):
    k = lesson.FIGURE_DISTANCES
    return lesson.similarity_by_distance(0, k, d_model) / (d_model / 2)


@pytest.mark.parametrize("d_model", lesson.SIMILARITY_D_MODELS)
def test_similarity_peaks_at_zero_and_decays_on_the_whole(d_model):
    cosine = lesson_cosine(d_model)
    assert cosine[0] == pytest.approx(1.0)
    assert (cosine[1:] < 1.0 - 1e-3).all()
    assert cosine[1:9].mean() > cosine[-16:].mean()
    # Not monotone: the page says the curve ripples, less so for larger d_model.
    assert not (np.diff(cosine) < 0).all()
    ripple = {d: np.abs(np.diff(lesson_cosine(d), 2)).mean() for d in (16, 256)}
    assert ripple[256] < ripple[16]


def test_last_pair_of_the_figure_barely_moves():
    pe = lesson.positional_encoding(lesson.FIGURE_POSITIONS, lesson.FIGURE_D_MODEL)
    assert (np.abs(pe[:, -2]) < 0.01).all() and (pe[:, -1] > 0.99).all()
    # d_model = 4: the first pair turns 1 radian per position, the second 0.01.
    assert_allclose(lesson.wavelengths(4), 2 * np.pi / np.array([1.0, 0.01]))


def test_similarity_matrix_is_constant_along_diagonals():
    pe = lesson.positional_encoding(lesson.FIGURE_POSITIONS, lesson.FIGURE_D_MODEL)
    matrix = pe @ pe.T
    for offset in range(-5, 6):
        diagonal = np.diagonal(matrix, offset)
        assert_allclose(diagonal, diagonal[0], atol=1e-9)


# 3. The Transformer block -----------------------------------------------------------------


def test_layer_norm_by_hand():
    x = np.array([[1.0, 2.0, 3.0, 6.0]])  # mean 3, variance 3.5
    assert_allclose(lesson.layer_norm(x, eps=0.0), (x - 3.0) / np.sqrt(3.5))


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 8)), elements=finite))
def test_layer_norm_rows_have_mean_zero_and_variance_one(x):
    # Rows that are (almost) constant have no spread to normalise; eps keeps them finite.
    spread = x.var(axis=-1)
    normed = lesson.layer_norm(x)
    assert np.isfinite(normed).all()
    assert_allclose(normed.mean(axis=-1), 0.0, atol=1e-9)
    assert_allclose(normed.var(axis=-1), spread / (spread + 1e-5), atol=1e-9)
    big = spread > 1e-2
    assert_allclose(normed.var(axis=-1)[big], 1.0, atol=1e-3)


def test_feed_forward_by_hand():
    x = np.array([[1.0, -1.0]])
    w_1 = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])
    # hidden = relu([1, -1, -1, 1]) = [1, 0, 0, 1]; back through w_1ᵀ: [1, -1].
    assert_allclose(x @ w_1, [[1.0, -1.0, -1.0, 1.0]])
    assert_allclose(lesson.feed_forward(x, w_1, np.zeros(4), w_1.T, np.zeros(2)), [[1.0, -1.0]])


@given(tokens_permutation_and_seed(min_tokens=1))
def test_feed_forward_acts_per_token(case):
    x, permutation, seed = case
    block = random_block(np.random.default_rng(seed), 4, 2)
    ffn = lesson.feed_forward(x, block.w_1, block.b_1, block.w_2, block.b_2)
    assert_allclose(
        lesson.feed_forward(x[permutation], block.w_1, block.b_1, block.w_2, block.b_2),
        ffn[permutation],
    )
    # Each row alone gives the same result as in the batch.
    for i in range(len(x)):
        alone = lesson.feed_forward(x[i : i + 1], block.w_1, block.b_1, block.w_2, block.b_2)
        assert_allclose(alone[0], ffn[i], atol=1e-12)


def test_toy_block_uses_d_ff_four_times_d_model():
    block = lesson.toy_block()
    assert block.w_1.shape == (lesson.D_MODEL, 4 * lesson.D_MODEL)
    assert block.w_2.shape == (4 * lesson.D_MODEL, lesson.D_MODEL)


@given(
    st.integers(1, 6),
    st.sampled_from([(4, 1), (4, 2), (8, 2), (8, 4), (6, 3)]),
    st.integers(0, 2**32 - 1),
)
def test_block_output_has_the_input_shape(n, dims, seed):
    d_model, n_heads = dims
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d_model))
    output, weights = lesson.transformer_block(x, random_block(rng, d_model, n_heads))
    assert output.shape == x.shape
    assert weights.shape == (n_heads, n, n)
    assert_allclose(weights.sum(axis=-1), 1.0)
    # Blocks stack: the output is a valid input.
    again, _ = lesson.transformer_block(output, random_block(rng, d_model, n_heads))
    assert again.shape == x.shape


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.just(4)), elements=finite))
def test_zero_weights_reduce_the_pre_ln_block_to_the_identity(x):
    zeros = np.zeros((4, 4))
    block = lesson.BlockWeights(
        zeros, zeros, zeros, zeros, np.zeros((4, 16)), np.zeros(16), np.zeros((16, 4)),
        np.zeros(4), n_heads=2,
    )  # fmt: skip
    output, _ = lesson.transformer_block(x, block)
    assert_allclose(output, x, atol=0)


def test_block_is_the_sum_of_residual_and_two_sublayers():
    x = lesson.add_positions(toy(lesson.SENTENCE_A))
    block = lesson.toy_block()
    normed = lesson.layer_norm(x)
    attended, _ = multi_head_attention(
        normed, normed, block.w_q, block.w_k, block.w_v, block.w_o, block.n_heads
    )
    middle = x + attended
    expected = middle + lesson.feed_forward(
        lesson.layer_norm(middle), block.w_1, block.b_1, block.w_2, block.b_2
    )
    output, _ = lesson.transformer_block(x, block)
    assert_allclose(output, expected)


def test_block_respects_a_causal_mask():
    from snippets.core import causal_mask

    x = lesson.add_positions(toy(lesson.SENTENCE_A))
    _, weights = lesson.transformer_block(x, lesson.toy_block(), causal_mask(3))
    assert_allclose(np.triu(weights, 1), 0.0)


# Exercises ---------------------------------------------------------------------------------


def test_wavelengths():
    waves = lesson.wavelengths(512)
    assert len(waves) == 256
    assert_allclose(waves[0], 2 * np.pi)
    assert_allclose(waves[-1], 2 * np.pi * 10000 ** (510 / 512))
    assert (np.diff(waves) > 0).all()


def test_count_parameters():
    counts = lesson.count_parameters(512, 2048)
    assert counts["attention"] == 4 * 512**2
    assert counts["feed_forward"] == 2 * 512 * 2048 + 2048 + 512
    assert counts["total"] == counts["attention"] + counts["feed_forward"]
    # The page says the feed-forward network holds about two thirds of the block.
    assert round(counts["feed_forward"] / counts["total"], 2) == 0.67
    block = lesson.toy_block()
    toy_total = sum(
        np.size(getattr(block, name))
        for name in ("w_q", "w_k", "w_v", "w_o", "w_1", "b_1", "w_2", "b_2")
    )
    assert toy_total == lesson.count_parameters(lesson.D_MODEL, 4 * lesson.D_MODEL)["total"]


# Page claims -------------------------------------------------------------------------------


def page():
    return PAGE.read_text(encoding="utf-8")


def test_page_places_all_lesson_figures():
    text = page()
    for name in (
        "position_block_encoding",
        "position_block_similarity_matrix",
        "position_block_similarity_by_distance",
        "position_block_word_order",
    ):
        assert f"<!-- figure: {name} -->" in text


def test_page_numbers_match_the_code():
    text = page()
    # √(d_model/2) for the figure's d_model = 32 is 4.
    assert "√(32/2) = 4" in text
    assert np.sqrt(lesson.FIGURE_D_MODEL / 2) == 4
    # Fraction of the block's parameters in the feed-forward network.
    counts = lesson.count_parameters(512, 2048)
    assert f"{counts['feed_forward'] / counts['total']:.0%}" in text
    # Wavelength range quoted in the exercise.
    waves = lesson.wavelengths(512)
    assert f"{waves[0]:.2f}" in text and f"{waves[-1]:,.0f}" in text
    for value in counts.values():
        assert f"{value:,}" in text
    assert f"{4 * 512**2:,}" in text
    # "bites" sits at position 1 in both sentences.
    assert lesson.SENTENCE_A.index("bites") == lesson.SENTENCE_B.index("bites") == 1
    assert "(위치 1)" in text


def test_page_links_back_and_on():
    text = page()
    assert "](03_multi_head_attention.md)" in text
    assert "](05_masked_and_cross_attention.md)" in text
    assert re.search(r"^# \S+ 위치 인코딩과 트랜스포머 블록$", text, re.MULTILINE)
