"""Lesson 03: the designed heads, the equivalences the page states, the parameter count."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from snippets import multi_head_attention as lesson
from snippets.core import merge_heads, multi_head_attention, softmax, split_heads

from .conftest import ROOT

PAGE = ROOT / "docs" / "03_multi_head_attention.md"
WORDS = lesson.SENTENCE
INDEX = {word: i for i, word in enumerate(WORDS)}  # "The" and "the" are different positions
PREVIOUS, SELF, RELATION, EVEN = range(4)


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def toy_weights() -> np.ndarray:
    x = lesson.embed()
    _, weights = multi_head_attention(x, x, lesson.W_Q, lesson.W_K, lesson.W_V, lesson.W_O, 4)
    return weights  # (h, n, n)


# The toy data


def test_embedding_is_word_features_then_a_unit_arrow_per_position():
    x = lesson.embed()
    assert x.shape == (6, lesson.D_MODEL) == (6, 8)
    assert_allclose(np.linalg.norm(x[:, 6:], axis=1), 1.0)
    angles = np.degrees(np.arctan2(x[:, 7], x[:, 6])) % 360
    assert_allclose(angles, [0, 45, 90, 135, 180, 225], atol=1e-9)
    # "The" and "the" share word features; only the position tells them apart.
    assert_allclose(x[0, :6], x[4, :6])
    assert not np.allclose(x[0], x[4])


def test_turn_rotates_a_row_vector():
    east = np.array([1.0, 0.0])
    assert_allclose(east @ lesson.turn(np.pi / 2), [0.0, 1.0], atol=1e-12)
    assert_allclose(east @ lesson.turn(-lesson.ANGLE), [np.sqrt(0.5), -np.sqrt(0.5)])


def test_projection_matrices_are_square_and_made_of_head_slices():
    for w in (lesson.W_Q, lesson.W_K, lesson.W_V, lesson.W_O):
        assert w.shape == (8, 8)
    assert lesson.D_HEAD == 2
    assert_allclose(lesson.W_Q[:, 4:6], lesson.RELATION_Q)
    assert_allclose(lesson.W_Q[:, 6:], 0.0)  # head 4 has no query at all
    assert len(lesson.OUTPUT_LABELS) == lesson.D_MODEL


# The patterns the page claims for each head


def test_head_1_looks_at_the_previous_word_and_the_first_word_at_itself():
    weights = toy_weights()[PREVIOUS]
    assert list(weights.argmax(axis=1)) == [0, 0, 1, 2, 3, 4]
    assert_allclose(weights[0, 0].round(2), 1.00)
    for i in range(2, 6):
        assert_allclose(weights[i, i - 1].round(2), 0.86)
        assert_allclose(weights[i, i].round(2), 0.07)
        assert_allclose(weights[i, i - 2].round(2), 0.07)


def test_head_1_score_is_a_cosine_of_the_angle_to_the_previous_word():
    scores = lesson.head_scores(lesson.embed(), lesson.W_Q, lesson.W_K, 4)[PREVIOUS]
    i, j = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    expected = 12 * np.cos((i - 1 - j) * np.pi / 4) / np.sqrt(2)
    assert_allclose(scores, expected, atol=1e-12)


def test_head_2_looks_at_the_word_itself():
    weights = toy_weights()[SELF]
    assert list(weights.argmax(axis=1)) == list(range(6))
    assert_allclose(np.diag(weights).round(2), [0.92, 0.86, 0.86, 0.86, 0.86, 0.92])


def test_head_3_links_the_verb_and_the_nouns_and_spreads_function_words():
    weights = toy_weights()[RELATION]
    assert WORDS[weights[INDEX["sat"]].argmax()] == "cat"  # verb -> subject
    assert WORDS[weights[INDEX["cat"]].argmax()] == "sat"  # noun -> verb
    assert WORDS[weights[INDEX["mat"]].argmax()] == "sat"
    for word in ("cat", "sat", "mat"):
        assert_allclose(weights[INDEX[word]].max().round(2), 0.93)
    for i in (INDEX["The"], INDEX["on"], INDEX["the"]):
        assert_allclose(weights[i], 1 / 6, rtol=1e-12)  # zero query, equal scores


def test_head_4_is_exactly_uniform_and_outputs_the_sentence_mean():
    weights = toy_weights()[EVEN]
    assert_allclose(weights, 1 / 6, rtol=1e-12)
    output = lesson.head_outputs()
    x = lesson.embed()
    mean = x[:, [lesson.feature("장소"), lesson.feature("기능어")]].mean(axis=0)
    assert_allclose(output[:, 6:], np.tile(mean, (6, 1)))
    assert_allclose(mean, [2 / 6, 3 / 6])


def test_the_four_heads_have_different_patterns():
    weights = toy_weights()
    for a in range(4):
        for b in range(a + 1, 4):
            assert not np.allclose(weights[a], weights[b], atol=0.05)


def test_one_head_with_the_same_matrices_splits_the_cat_row():
    single = lesson.single_head_weights()
    cat, mat = single[INDEX["cat"]], single[INDEX["mat"]]
    assert_allclose(cat[INDEX["The"]], cat[INDEX["cat"]])  # exact tie by symmetry
    assert_allclose(cat[[0, 1, 2]].round(2), [0.47, 0.47, 0.06])
    assert_allclose(mat[[4, 5]].round(2), [0.50, 0.50])
    assert mat[INDEX["sat"]] < 0.01  # the verb relation is lost
    assert toy_weights()[RELATION][INDEX["cat"], INDEX["sat"]] > 0.9  # but not with heads


def test_one_head_scores_are_half_the_sum_of_the_head_scores():
    x = lesson.embed()
    per_head = lesson.head_scores(x, lesson.W_Q, lesson.W_K, 4)  # / sqrt(2)
    single = lesson.head_scores(x, lesson.W_Q, lesson.W_K, 1)[0]  # / sqrt(8)
    assert_allclose(single, per_head.sum(axis=0) / 2, atol=1e-12)


def test_output_columns_read_as_the_page_says():
    output = lesson.head_outputs()
    column = {label: i for i, label in enumerate(lesson.OUTPUT_LABELS)}
    cat, sat = output[INDEX["cat"]], output[INDEX["sat"]]
    assert_allclose(cat[column["앞 단어: 관사"]].round(2), 0.92)
    assert_allclose(cat[column["동사↔명사: 동사"]].round(2), 0.93)
    assert_allclose(sat[column["앞 단어: 명사"]].round(2), 0.86)
    assert_allclose(sat[column["자기 자신: 동사"]].round(2), 0.86)
    assert_allclose(sat[column["동사↔명사: 주어"]].round(2), 0.93)
    # With W_O = I the output is the concatenation of the head outputs.
    assert_allclose(output, merge_heads(np.stack(head_outputs_by_loop())))


def head_outputs_by_loop() -> list[np.ndarray]:
    x = lesson.embed()
    return [lesson.one_head(x, lesson.W_Q, lesson.W_K, lesson.W_V, h, 4)[0] for h in range(4)]


# Equivalences: per-head slices, core, one batched multiply


@st.composite
def layers(draw):
    n_heads = draw(st.sampled_from([1, 2, 3, 4]))
    d_head = draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    d_model = n_heads * d_head
    x = rng.normal(size=(n, d_model))
    weights = tuple(rng.normal(size=(d_model, d_model)) for _ in range(4))
    return x, weights, n_heads


@given(layers())
def test_per_head_slices_equal_core_multi_head_attention(layer):
    x, (w_q, w_k, w_v, w_o), n_heads = layer
    output, weights = multi_head_attention(x, x, w_q, w_k, w_v, w_o, n_heads)
    heads = [lesson.one_head(x, w_q, w_k, w_v, h, n_heads) for h in range(n_heads)]
    assert_allclose(merge_heads(np.stack([o for o, _ in heads])) @ w_o, output, atol=1e-10)
    assert_allclose(np.stack([w for _, w in heads]), weights, atol=1e-12)
    assert_allclose(softmax(lesson.head_scores(x, w_q, w_k, n_heads)), weights, atol=1e-12)


@given(layers())
def test_batched_equals_core_multi_head_attention(layer):
    x, (w_q, w_k, w_v, w_o), n_heads = layer
    expected_output, expected_weights = multi_head_attention(x, x, w_q, w_k, w_v, w_o, n_heads)
    output, weights = lesson.batched_multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads)
    assert_allclose(output, expected_output, atol=1e-10)
    assert_allclose(weights, expected_weights, atol=1e-12)


def test_head_slice_is_a_column_block_of_the_split_projection():
    x = lesson.embed()
    split = split_heads(x @ lesson.W_Q, 4)  # (h, n, d_head)
    for head in range(4):
        assert_allclose(split[head], x @ lesson.W_Q[:, 2 * head : 2 * head + 2])


# Parameter count


@given(st.sampled_from([1, 2, 4, 8, 16]), st.integers(1, 8))
def test_parameter_count_is_4_d_squared_for_any_head_count(n_heads, d_head):
    d_model = n_heads * d_head
    assert lesson.parameter_count(d_model, n_heads) == 4 * d_model**2
    assert lesson.parameter_count(d_model, n_heads, bias=True) == 4 * d_model**2 + 4 * d_model
    assert lesson.parameter_count(d_model, n_heads) == lesson.parameter_count(d_model, 1)


@given(st.sampled_from([1, 2, 4]), st.integers(1, 4))
def test_parameter_count_matches_the_arrays(n_heads, d_head):
    d_model = n_heads * d_head
    arrays = [np.zeros((d_model, d_model)) for _ in range(4)]
    x = np.ones((3, d_model))
    multi_head_attention(x, x, *arrays, n_heads)  # the arrays fit the layer
    assert lesson.parameter_count(d_model, n_heads) == sum(w.size for w in arrays)


def test_toy_parameter_count_and_big_numbers():
    assert (
        lesson.parameter_count(8, 4)
        == 256
        == sum(w.size for w in (lesson.W_Q, lesson.W_K, lesson.W_V, lesson.W_O))
    )
    assert lesson.parameter_count(512, 8) == 1_048_576
    assert lesson.parameter_count(512, 8, bias=True) == 1_050_624
    assert lesson.full_width_parameter_count(512, 8) == 8 * lesson.parameter_count(512, 8)
    with pytest.raises(ValueError, match="not divisible"):
        lesson.parameter_count(8, 3)


# Numbers and claims in the page's prose


def test_numbers_in_the_page_are_computed():
    text = page()
    weights = toy_weights()
    single = lesson.single_head_weights()
    numbers = {
        f"{lesson.parameter_count(512, 8):,}",
        f"{lesson.parameter_count(512, 8, bias=True):,}",
        f"{lesson.full_width_parameter_count(512, 8):,}",
        f"{512 * 64:,}",
        f"{weights[PREVIOUS, 2, 1]:.2f}",  # 0.86
        f"{weights[PREVIOUS, 2, 2]:.2f}",  # 0.07
        f"{weights[RELATION, 2, 1]:.2f}",  # 0.93
        f"{weights[EVEN, 0, 0]:.2f}",  # 0.17
        f"{single[1, 1]:.2f}",  # 0.47
        f"{single[1, 2]:.2f}",  # 0.06
        f"{lesson.parameter_count(8, 4)}",  # 256
    }
    for number in numbers:
        assert number in text, number
    assert f"{12 / np.sqrt(2):.2f}" == "8.49" and "8.49" in text
    assert f"{12 * np.cos(np.pi / 4) / np.sqrt(2):.2f}" == "6.00" and "6.00" in text
    assert f"{6 / np.sqrt(2):.2f}" == "4.24" and "4.24" in text


def test_page_places_the_figures_and_includes_core():
    text = page()
    for name in ("mha_head_patterns", "mha_one_head", "mha_output", "mha_parameter_count"):
        assert f"<!-- figure: {name} -->" in text
    for section in ("heads", "multi_head_attention"):
        assert f'--8<-- "snippets/core.py:{section}"' in text
    assert re.search(r"\(02_self_attention\.md\)", text)
    assert re.search(r"\(04_position_and_transformer_block\.md\)", text)
