"""Lesson 02: projections, scaled dot-product attention, √d_k, padding masks, O(n²) cost.

Hand-computed small cases, properties, and every claim the page's prose makes.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets import self_attention as lesson
from snippets.attention_intuition import SENTENCE, TEMPERATURE, embed
from snippets.core import attention, padding_mask, scaled_dot_product_attention, softmax
from snippets.figures import all_figures

from .conftest import ROOT

PAGE = (ROOT / "docs" / "02_self_attention.md").read_text(encoding="utf-8")
INDEX = {word: i for i, word in enumerate(SENTENCE)}


def projected():
    return lesson.project(embed(SENTENCE))


def top_other_word(weights, row):
    """The word a query looks at most, among words other than itself (and its twin "the")."""
    same = [j for j, w in enumerate(SENTENCE) if w.lower() == SENTENCE[row].lower()]
    others = [j for j in range(len(SENTENCE)) if j not in same]
    return SENTENCE[others[int(np.argmax(weights[row, others]))]]


# 1. Projections


def test_projection_shapes_match_the_table():
    assert lesson.W_Q.shape == lesson.W_K.shape == (4, 3)
    assert lesson.W_V.shape == (4, 4)
    queries, keys, values = projected()
    assert queries.shape == keys.shape == (6, 3)
    assert values.shape == (6, 4)


def test_cat_query_and_key_by_hand():
    queries, keys, _ = projected()
    # cat = [0.8, 0.6, 0, 0]: 개체 0.8 looks for 동작 (×3), 동작 0.6 looks for 장소 (×3).
    assert_allclose(queries[INDEX["cat"]], [0.0, 0.8 * 3, 0.6 * 3])
    assert_allclose(keys[INDEX["cat"]], [0.8, 0.6, 0.0])
    # The key of every word is its first three features: 기능어 is not advertised.
    assert_allclose(keys, embed(SENTENCE)[:, :3])


def test_without_projection_every_word_tops_itself():
    x = embed(SENTENCE)
    scores = x @ x.T
    assert_allclose(scores.diagonal(), scores.max(axis=1))
    assert lesson.top_keys(scores, SENTENCE) == ["The/the", "cat", "sat", "on", "The/the", "mat"]


def test_with_projection_no_word_tops_itself():
    queries, keys, _ = projected()
    scores = lesson.attention_scores(queries, keys)
    for row, word in enumerate(SENTENCE):
        best = int(scores[row].argmax())
        assert SENTENCE[best].lower() != word.lower()
    assert lesson.top_keys(scores, SENTENCE) == ["cat", "sat", "mat", "sat", "cat", "sat"]


def test_pairs_are_explained_by_the_matrices():
    _, keys, _ = projected()
    entity, action, place = range(3)
    # 기능어 looks for 개체: cat has the largest 개체 key.
    assert SENTENCE[int(keys[:, entity].argmax())] == "cat"
    # 개체 looks for 동작: sat has the largest 동작 key.
    assert SENTENCE[int(keys[:, action].argmax())] == "sat"
    # 동작 looks for 장소: mat has the largest 장소 key.
    assert SENTENCE[int(keys[:, place].argmax())] == "mat"
    assert keys[INDEX["cat"], entity] == 0.8
    assert keys[INDEX["sat"], action] == 0.9
    assert keys[INDEX["mat"], place] == 1.0
    # on looks for sat and cat almost equally.
    queries, _, _ = projected()
    scores = lesson.attention_scores(queries, keys)
    on = scores[INDEX["on"]]
    assert on[INDEX["sat"]] > on[INDEX["cat"]] > on[INDEX["sat"]] - 0.1


@given(arrays(np.float64, (5, 3), elements=st.floats(-3, 3)))
def test_equal_length_vectors_always_top_themselves(raw):
    """Cauchy–Schwarz: with query = key and equal lengths, the self score is the row maximum."""
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    if (norms < 1e-3).any():
        return
    x = raw / norms
    scores = x @ x.T
    assert (scores.diagonal() >= scores.max(axis=1) - 1e-12).all()


# 2. Scaled dot-product attention, step by step


def test_scores_by_hand_and_not_symmetric():
    queries, keys, _ = projected()
    scores = lesson.attention_scores(queries, keys)
    cat, sat = INDEX["cat"], INDEX["sat"]
    assert_allclose(scores[cat, sat], 0 * 0.2 + 2.4 * 0.9 + 1.8 * 0.3)
    assert_allclose(scores[cat, sat], 2.7)
    assert_allclose(scores[sat, cat], 0.9)
    assert not np.allclose(scores, scores.T)
    x = embed(SENTENCE)
    assert_allclose(x @ x.T, (x @ x.T).T)  # lesson 01's scores were symmetric


def test_scale_divides_by_sqrt_dk():
    scores = np.array([[3.0, 0.0]])
    assert_allclose(lesson.scale(scores, 9), [[1.0, 0.0]])
    assert_allclose(np.sqrt(3).round(2), 1.73)


def test_weights_claims():
    _, weights, _ = lesson.sentence_attention()
    assert_allclose(weights.sum(axis=1), 1.0)
    cat, sat, mat = INDEX["cat"], INDEX["sat"], INDEX["mat"]
    assert weights[cat, cat].round(2) == 0.15
    assert weights[cat, sat].round(2) == 0.31
    assert weights[mat, sat].round(2) == 0.48
    assert int(weights[mat].argmax()) == sat
    assert weights[sat, cat].round(2) == 0.1
    # No row has its maximum on the diagonal any more.
    for row in range(6):
        assert top_other_word(weights, row) == SENTENCE[int(weights[row].argmax())]


def test_outputs_claims():
    output, _, _ = lesson.sentence_attention()
    the = embed(["The"])[0]
    assert_allclose(the, [0.25, 0.0, 0.0, 1.0])
    assert_allclose(output[0].round(2)[:2], [0.45, 0.4])
    assert output[0][0] > the[0] and output[0][3] < the[3]
    assert output[INDEX["mat"]][1].round(2) == 0.58


def test_steps_equal_core_function():
    output, weights, _ = lesson.sentence_attention()
    same_output, same_weights = scaled_dot_product_attention(*projected())
    assert_allclose(output, same_output, rtol=1e-12)
    assert_allclose(weights, same_weights, rtol=1e-12)


@given(
    arrays(np.float64, (4, 5), elements=st.floats(-5, 5)),
    arrays(np.float64, (3, 5), elements=st.floats(-5, 5)),
    arrays(np.float64, (3, 2), elements=st.floats(-5, 5)),
)
def test_steps_equal_core_on_random_inputs(queries, keys, values):
    weights = lesson.row_softmax(lesson.scale(lesson.attention_scores(queries, keys), 5))
    output = lesson.mix_values(weights, values)
    same_output, same_weights = scaled_dot_product_attention(queries, keys, values)
    assert_allclose(weights, same_weights, rtol=1e-9, atol=1e-12)
    assert_allclose(output, same_output, rtol=1e-9, atol=1e-9)
    # Same as lesson 01's attention with temperature √d_k.
    assert_allclose(attention(queries, keys, values, np.sqrt(5))[1], weights, atol=1e-12)


# 3. Why √d_k


@pytest.mark.parametrize("d_k", [4, 64, 256])
def test_dot_product_variance_grows_like_dk(d_k):
    dots = lesson.dot_products(d_k)
    assert abs(dots.var() / d_k - 1) < 0.1
    assert abs((dots / np.sqrt(d_k)).var() - 1) < 0.1


def test_saturation_curve_claims():
    unscaled = [lesson.mean_max_weight(int(d), False) for d in lesson.DIMS]
    scaled = [lesson.mean_max_weight(int(d), True) for d in lesson.DIMS]
    assert list(lesson.DIMS) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert unscaled == sorted(unscaled)  # grows with d_k
    assert round(unscaled[-1], 2) == 0.95
    assert all(0.2 < w < 0.3 for w in scaled)  # "0.25 근처에 머뭅니다"
    assert all(w > 1 / lesson.N_KEYS for w in scaled)
    assert unscaled[0] == scaled[0]  # √1 = 1


def test_sqrt_dk_is_a_temperature():
    weights = lesson.lesson01_cat_weights(TEMPERATURE)
    assert weights.max().round(2) == 0.42
    flat = lesson.lesson01_cat_weights(np.sqrt(4))
    assert flat.max().round(2) == 0.22
    assert np.sqrt(4) / TEMPERATURE == 4


# 4. The attention matrix figure


def test_projected_figure_shows_lesson01_and_lesson02():
    grid = all_figures()["self_attention_projected"].compute_checked()
    left, right = grid.panels
    assert_allclose(left.values.diagonal(), left.values.max(axis=1))
    assert (right.values.diagonal() < right.values.max(axis=1)).all()
    assert_allclose(right.values[0], right.values[4])  # The and the
    assert_allclose(softmax(right.scores), right.values)
    assert_allclose(softmax(left.scores), left.values)


# 5. Padding masks


def test_padded_keys_get_exactly_zero_weight():
    batch, lengths = lesson.pad_batch(lesson.BATCH)
    _, weights = lesson.batch_attention(batch, lengths)
    assert (weights[1][:, 3:] == 0.0).all()
    assert (weights[0] > 0).all()  # the long sentence has no padding
    assert_allclose(weights.sum(axis=-1), 1.0)


def test_unpadded_rows_equal_the_short_sentence_alone():
    batch, lengths = lesson.pad_batch(lesson.BATCH)
    outputs, weights = lesson.batch_attention(batch, lengths)
    alone_output, alone_weights = scaled_dot_product_attention(
        *lesson.project(embed(["The", "cat", "sat"]))
    )
    assert_allclose(weights[1][:3, :3], alone_weights, rtol=1e-12)
    assert_allclose(outputs[1][:3], alone_output, rtol=1e-12)
    # And the long sentence is the unbatched computation.
    assert_allclose(weights[0], lesson.sentence_attention()[1], rtol=1e-12)


def test_padding_claims_on_the_page():
    batch, lengths = lesson.pad_batch(lesson.BATCH)
    _, weights = lesson.batch_attention(batch, lengths)
    _, leaky = lesson.batch_attention(batch, lengths, use_mask=False)
    leaks = leaky[1][:3, 3:].sum(axis=-1)
    assert (leaks > 0).all()
    assert [f"{leak:.2f}" for leak in leaks] == ["0.25", "0.27", "0.33"]
    assert "0.25, 0.27, 0.33" in PAGE
    # <pad> queries are zero vectors: equal scores, 1/3 to each real word.
    assert_allclose(weights[1][3:, :3], 1 / 3)
    # In the short sentence sat looks most at itself (no place word to look for).
    sat = weights[1][2]
    assert int(sat.argmax()) == 2 and sat.max().round(2) == 0.56


@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    arrays(np.float64, (3, 5, 4), elements=st.floats(-2, 2)),
)
def test_padding_never_changes_real_words(lengths, raw):
    lengths = np.array(lengths)
    n = 5
    batch = raw[: len(lengths)].copy()
    for i, length in enumerate(lengths):
        batch[i, length:] = 0.0
    outputs, weights = lesson.batch_attention(batch, lengths)
    for i, length in enumerate(lengths):
        assert (weights[i][:, length:] == 0.0).all()
        alone_output, alone_weights = scaled_dot_product_attention(
            *lesson.project(batch[i, :length])
        )
        assert_allclose(weights[i][:length, :length], alone_weights, atol=1e-12)
        assert_allclose(outputs[i][:length], alone_output, atol=1e-12)
    assert weights.shape == (len(lengths), n, n)


def test_padded_labels():
    assert lesson.padded_labels(("a", "b"), 4) == ("a", "b", "<pad>", "<pad>")
    assert padding_mask(3, 6).sum() == 3


# 6. Cost


def test_cost_by_hand():
    assert lesson.attention_cost(2, d_k=3) == (2 * 2 * 4, 2 * 2 * 3)
    assert lesson.attention_cost(512)[0] == 2**20  # 1 MiB
    assert lesson.attention_cost(32768)[0] == 4 * 2**30  # 4 GiB
    assert lesson.attention_cost(512)[1] == 16_777_216


@given(st.integers(1, 10_000))
def test_doubling_n_quadruples_the_cost(n):
    score_bytes, multiply_adds = lesson.attention_cost(n)
    double_bytes, double_adds = lesson.attention_cost(2 * n)
    assert double_bytes == 4 * score_bytes and double_adds == 4 * multiply_adds


def test_cost_figure_scores_grow_faster_than_qkv():
    plot = all_figures()["self_attention_cost"].compute_checked()
    scores, qkv = (line.y for line in plot.series)
    assert_allclose(scores[1:] / scores[:-1], 4.0)
    assert_allclose(qkv[1:] / qkv[:-1], 2.0)
    assert (plot.x >= 1024).all() and (qkv >= 0.5).all()  # no 10^-1 tick on the log axis


# Exercises


def test_exercise_retarget():
    w_q = lesson.retarget_query("개체", looks_for="장소")
    assert_allclose(w_q[0], [0.0, 0.0, 3.0])
    assert_allclose(np.delete(w_q, 0, axis=0), np.delete(lesson.W_Q, 0, axis=0))
    queries, keys, _ = lesson.project(embed(SENTENCE), w_q=w_q)
    new = lesson.top_keys(lesson.attention_scores(queries, keys), SENTENCE)
    queries, keys, _ = projected()
    old = lesson.top_keys(lesson.attention_scores(queries, keys), SENTENCE)
    changed = [word for word, a, b in zip(SENTENCE, old, new, strict=True) if a != b]
    assert changed == ["cat"] and new[INDEX["cat"]] == "mat"


def test_exercise_memory():
    assert lesson.attention_cost(4096)[0] == 64 * 2**20
    assert lesson.layer_score_bytes(4096, n_heads=12) == 768 * 2**20
    assert lesson.layer_score_bytes(4096, n_heads=12, batch_size=8) == 6 * 2**30
    for text in ("64 MiB", "768 MiB", "6 GiB"):
        assert text in PAGE


# The page


def test_page_numbers_match_the_computation():
    queries, keys, _ = projected()
    scores = lesson.attention_scores(queries, keys)
    _, weights, _ = lesson.sentence_attention()
    cat, sat = INDEX["cat"], INDEX["sat"]
    expected = [
        f"({scores[cat, sat]:g})",  # cat이 sat을 찾는 점수
        f"({scores[sat, cat]:g})",  # sat이 cat을 찾는 점수
        "0.95로",
        f"자기 자신에 {weights[cat, cat]:.2f}를 주고 sat에 {weights[cat, sat]:.2f}",
        f"0.42에서 {lesson.lesson01_cat_weights(2.0).max():.2f}로",
        "1 MiB이던 점수 행렬이 32,768단어에서는 4 GiB",
    ]
    for text in expected:
        assert text in PAGE, text


def test_page_places_its_figures_and_links():
    for name in (
        "self_attention_projected",
        "self_attention_saturation",
        "self_attention_padding",
        "self_attention_cost",
    ):
        assert f"<!-- figure: {name} -->" in PAGE
    for link in (
        "01_attention_intuition.md",
        "03_multi_head_attention.md",
        "06_efficient_attention.md",
    ):
        assert f"({link})" in PAGE
    assert PAGE.startswith("# 🧮 셀프 어텐션의 수학")


def test_figures_are_deterministic():
    figures = all_figures()
    for name in ("self_attention_saturation", "self_attention_padding"):
        first = figures[name].compute_checked().data()
        assert figures[name].compute_checked().data() == first
