"""Lesson 05: masks, cross-attention, learned projections, and every claim the page makes."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from snippets import attention_intuition as lesson01
from snippets import masked_and_cross_attention as lesson
from snippets.core import attention, causal_mask, multi_head_attention, scaled_dot_product_attention
from snippets.figures import all_figures

from .conftest import ROOT

PAGE = (ROOT / "docs" / "05_masked_and_cross_attention.md").read_text(encoding="utf-8")
DOG = lesson01.PRONOUN_CONTEXT.index("dog")
CAT = lesson01.PRONOUN_CONTEXT.index("cat")

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def page_says(text: str) -> None:
    """The page contains this exact text (after joining wrapped lines)."""
    assert text in " ".join(PAGE.split()), text


# 1. Causal masking -------------------------------------------------------------------------


def test_masked_cells_get_exactly_zero_weight():
    _, weights = lesson.decoder_self_attention(lesson01.SENTENCE)
    n = len(lesson01.SENTENCE)
    assert (weights[np.triu_indices(n, k=1)] == 0.0).all()
    assert (weights[np.tril_indices(n)] > 0).all()
    assert_allclose(weights.sum(axis=1), 1.0)
    assert_array_equal(weights[0], np.eye(n)[0])  # "The" sees only itself: 1.0


def test_masked_rows_renormalise_the_unmasked_rows():
    _, masked = lesson.decoder_self_attention(lesson01.SENTENCE)
    _, full = lesson.decoder_self_attention(lesson01.SENTENCE, causal=False)
    assert_allclose(full, lesson01.self_attention_weights(lesson01.SENTENCE))
    for i in range(len(masked)):
        kept = full[i, : i + 1]
        assert_allclose(masked[i, : i + 1], kept / kept.sum())
    # The last word sees everything: its row is lesson 01's row.
    assert_allclose(masked[-1], full[-1])
    # The page quotes the "cat" row before and after masking.
    assert list(full[1, :3].round(2)) == [0.09, 0.42, 0.23]
    assert list(masked[1, :2].round(2)) == [0.17, 0.83]
    page_says("0.09, 0.42, 0.23, …이었지만")
    page_says("0.17과 0.83이 됩니다")


@given(
    arrays(np.float64, (5, 3), elements=finite),
    arrays(np.float64, (5, 3), elements=finite),
    st.integers(1, 4),
)
def test_changing_future_tokens_never_changes_earlier_outputs(vectors, other, position):
    changed = vectors.copy()
    changed[position:] = other[position:]
    mask = causal_mask(5)
    before, weights_before = attention(vectors, vectors, vectors, 0.5, mask)
    after, weights_after = attention(changed, changed, changed, 0.5, mask)
    assert_array_equal(before[:position], after[:position])
    assert_array_equal(weights_before[:position], weights_after[:position])


def test_changing_the_last_word_on_the_page():
    other = ("The", "cat", "sat", "on", "the", "cat")
    masked = lesson.output_change(lesson01.SENTENCE, other)
    assert (masked[:-1] == 0.0).all() and masked[-1] > 0
    unmasked = lesson.output_change(lesson01.SENTENCE, other, causal=False)
    assert (unmasked > 0).all()


@given(st.lists(st.sampled_from(sorted(lesson01.WORD_VECTORS)), min_size=1, max_size=7))
def test_parallel_masked_equals_step_by_step_generation(words):
    parallel, _ = lesson.decoder_self_attention(words)
    assert_allclose(lesson.generate_step_by_step(words), parallel, atol=1e-12)


def test_without_the_mask_training_differs_from_generation():
    cheating, _ = lesson.decoder_self_attention(lesson01.SENTENCE, causal=False)
    generated = lesson.generate_step_by_step(lesson01.SENTENCE)
    assert not np.allclose(generated[:-1], cheating[:-1])
    assert_allclose(generated[-1], cheating[-1])  # the last word sees everything either way


def test_zero_is_not_masking():
    zeroed, masked = lesson.zero_instead_of_minus_infinity()
    assert zeroed[0, 2] > 0 and f"{zeroed[0, 2]:.2f}" == "0.09"
    assert masked[0, 2] == 0.0
    assert_allclose(zeroed[0], np.exp([1, 2, 0]) / np.exp([1, 2, 0]).sum())
    page_says("그 칸이 여전히 0.09를 가져갑니다")


@pytest.mark.parametrize("n", [1, 2, 6, 10])
def test_causal_mask_keeps_n_times_n_plus_one_over_two_cells(n):
    assert causal_mask(n).sum() == n * (n + 1) // 2
    if n == 6:
        assert causal_mask(n).sum() == 21 and causal_mask(n).size == 36
        page_says("6 \\cdot 7 / 2 = 21$칸입니다. 전체 36칸")


# 2. Cross-attention ------------------------------------------------------------------------


@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.just(4)), elements=finite),
    arrays(np.float64, st.tuples(st.integers(1, 5), st.just(4)), elements=finite),
)
def test_lesson01_temperature_is_w_qk_equal_2i(queries_in, keys_in):
    w = lesson.LESSON01_W_QK
    output, weights = multi_head_attention(
        queries_in, keys_in, w, w, lesson.IDENTITY, lesson.IDENTITY, n_heads=1
    )
    expected_output, expected = attention(queries_in, keys_in, keys_in, temperature=0.5)
    assert weights.shape == (1, len(queries_in), len(keys_in))  # n_target x n_source
    assert_allclose(weights[0], expected, atol=1e-12)
    assert_allclose(output, expected_output, atol=1e-9)


def test_projected_cross_attention_is_lesson01s():
    assert_allclose(
        lesson.cross_attention_with_projections(), lesson01.cross_attention_weights(), atol=1e-12
    )


def test_decoder_block_uses_masked_self_then_unmasked_cross_attention():
    block = lesson.decoder_block_attention()
    n_target, n_source = len(lesson01.TARGET), len(lesson01.SOURCE)
    assert block.self_weights.shape == (n_target, n_target)
    assert block.cross_weights.shape == (n_target, n_source)
    assert block.output.shape == (n_target, lesson.D_MODEL)
    assert block.self_weights[0, 1] == 0.0  # causal
    assert (block.cross_weights > 0).all()  # no mask
    assert_allclose(block.cross_weights.sum(axis=1), 1.0)
    assert not np.allclose(block.cross_weights.sum(axis=0), 1.0)
    # 고양이가 → cat, 앉았다 → sat; "The" is the smallest in every row.
    assert [lesson01.SOURCE[j] for j in block.cross_weights.argmax(axis=1)] == ["cat", "sat"]
    assert (block.cross_weights.argmin(axis=1) == 0).all()
    # Sharper than lesson 01, because the residual makes the queries longer.
    assert (block.cross_weights.max(axis=1) > lesson01.cross_attention_weights().max(axis=1)).all()
    x = lesson01.embed(lesson01.MEANING[w] for w in lesson01.TARGET)
    hidden = x + block.self_weights @ x
    assert (np.linalg.norm(hidden, axis=1) > np.linalg.norm(x, axis=1)).all()


def test_decoder_block_by_hand():
    """Two steps written out with lesson 01's attention and temperature."""
    x = lesson01.embed(["cat", "sat"])
    memory = lesson01.embed(lesson01.SOURCE)
    self_out, self_weights = attention(x, x, x, 0.5, causal_mask(2))
    hidden = x + self_out
    cross_out, cross_weights = attention(hidden, memory, memory, 0.5)
    block = lesson.decoder_block_attention()
    assert_allclose(block.self_weights, self_weights, atol=1e-12)
    assert_allclose(block.cross_weights, cross_weights, atol=1e-12)
    assert_allclose(block.output, hidden + cross_out, atol=1e-12)


def test_long_sentence_alignment_crosses():
    weights = lesson.cross_attention_with_projections(
        lesson.LONG_TARGET, lesson01.SENTENCE, lesson.LONG_MEANING
    )
    assert weights.shape == (4, 6)
    positions = weights.argmax(axis=1)
    assert list(positions) == [1, 5, 3, 2]
    assert list(positions) != sorted(positions)  # not monotone: no triangular mask fits
    page_says("1, 5, 3, 2로")


def test_a_triangular_mask_on_cross_attention_hides_the_needed_words():
    wrong = np.tril(np.ones((2, 3), dtype=bool))
    x, e = lesson01.embed(["cat", "sat"]), lesson01.embed(lesson01.SOURCE)
    _, weights = attention(x, e, e, lesson01.TEMPERATURE, wrong)
    assert_array_equal(weights[0], [1.0, 0.0, 0.0])  # 고양이가 sees only "The"
    assert weights[1, 2] == 0.0  # 앉았다 cannot see "sat"


def test_check_question_ten_by_seven():
    rng = np.random.default_rng(0)
    _, weights = attention(rng.normal(size=(10, 4)), rng.normal(size=(7, 4)), np.eye(7))
    assert weights.shape == (10, 7)
    assert_allclose(weights.sum(axis=1), 1.0)
    assert_allclose(weights.sum(axis=0).mean(), 10 / 7)
    assert (weights > 0).all()


# 3. Learned projections --------------------------------------------------------------------


@given(
    arrays(np.float64, (4, lesson.D_K), elements=finite),
    arrays(np.float64, (4, lesson.D_K), elements=finite),
)
def test_pronoun_scores_are_scaled_dot_product_attention(w_q, w_k):
    query = (lesson.IT @ w_q)[np.newaxis, :]
    keys = lesson.CONTEXT @ w_k
    _, weights = scaled_dot_product_attention(query, keys, keys)
    scores = lesson.pronoun_scores(w_q, w_k)
    assert_allclose(np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum(), weights[0])
    # The score is the dot product of the word vector with the query's preference f.
    assert_allclose(scores, lesson.CONTEXT @ lesson.query_preference(w_q, w_k), atol=1e-9)


def test_lesson01_projection_reproduces_lesson01_pronoun_weights():
    weights = lesson.softmax(lesson.pronoun_scores(lesson.LESSON01_W_QK, lesson.LESSON01_W_QK))
    assert_allclose(weights, lesson01.pronoun_weights(), atol=1e-12)
    assert weights.argmax() == DOG


def test_random_projection_does_not_prefer_dog():
    weights = lesson.softmax(lesson.pronoun_scores(*lesson.random_projections()))
    assert weights.argmin() == DOG
    assert {lesson01.PRONOUN_CONTEXT[i] for i in np.flatnonzero(weights == weights.max())} <= {
        "The",
        "the",
    }
    assert_allclose(weights[0], weights[3])  # The and the share a vector
    count = lesson.count_dog_favourites()
    assert count == 249
    page_says(f"1등인 것은 {count}개, 4분의 1 정도뿐입니다")
    page_says(f"씨앗(seed)은 {lesson.SEED}로 고정했습니다")


def test_gradient_at_zero_query_by_hand():
    w_q = np.zeros((4, lesson.D_K))
    w_k = np.eye(4, lesson.D_K)
    loss, d_w_q, d_w_k = lesson.loss_and_gradients(w_q, w_k, DOG)
    assert_allclose(loss, np.log(5))  # all scores 0 -> uniform weights 1/5
    residual = np.full(5, 0.2) - np.eye(5)[DOG]  # w - y
    keys = lesson.CONTEXT @ w_k
    assert_allclose(d_w_q, np.outer(lesson.IT, keys.T @ residual / 2))
    assert_allclose(d_w_k, 0.0)  # the query is zero, so the keys get no gradient


@given(
    arrays(np.float64, (4, lesson.D_K), elements=st.floats(-1.5, 1.5)),
    arrays(np.float64, (4, lesson.D_K), elements=st.floats(-1.5, 1.5)),
    st.integers(0, len(lesson01.PRONOUN_CONTEXT) - 1),
)
def test_gradient_matches_finite_differences(w_q, w_k, target):
    _, d_w_q, d_w_k = lesson.loss_and_gradients(w_q, w_k, target)
    numeric_q = lesson.numerical_gradient(
        w_q, lambda w: lesson.loss_and_gradients(w, w_k, target)[0]
    )
    numeric_k = lesson.numerical_gradient(
        w_k, lambda w: lesson.loss_and_gradients(w_q, w, target)[0]
    )
    assert_allclose(d_w_q, numeric_q, atol=1e-6)
    assert_allclose(d_w_k, numeric_k, atol=1e-6)


@pytest.mark.parametrize(("target", "index"), [("dog", DOG), ("cat", CAT)])
def test_training_decreases_the_loss_every_step_and_reaches_the_target(target, index):
    run = lesson.train_pronoun(target)
    assert run.weights.shape == (lesson.STEPS + 1, 5) and run.losses.shape == (lesson.STEPS + 1,)
    assert (np.diff(run.losses) < 0).all()
    assert_allclose(run.losses, -np.log(run.weights[:, index]))
    assert run.weights[-1].argmax() == index
    assert run.weights[0].argmax() != index
    assert run.weights[-1, index] > 0.9


def test_training_is_deterministic():
    first, second = lesson.train_pronoun("dog"), lesson.train_pronoun("dog")
    assert_array_equal(first.weights, second.weights)


def test_training_numbers_the_page_states():
    run = lesson.train_pronoun("dog")
    dog = run.weights[:, DOG]
    start, end = f"{dog[0]:.2f}", f"{dog[-1]:.2f}"
    assert (start, end) == ("0.11", "0.94")
    assert (f"{run.losses[0]:.1f}", f"{run.losses[-1]:.2f}") == ("2.2", "0.06")
    page_says(f'"dog"의 가중치는 {start}에서 시작해 30단계 뒤 {end}가 되고')
    page_says("손실은 2.2에서 0.06으로 줄어듭니다")
    page_says(f"학습률(learning rate) {lesson.LEARNING_RATE:g}으로 {lesson.STEPS}단계를")
    # Slow for 10 steps, fastest for the next 10, slow again for the last 10.
    gains = [dog[10] - dog[0], dog[20] - dog[10], dog[30] - dog[20]]
    assert gains[1] > gains[0] > gains[2]


def test_cat_weight_rises_first_then_falls_while_training_towards_dog():
    cat = lesson.train_pronoun("dog").weights[:, CAT]
    assert int(cat.argmax()) == 10
    assert (f"{cat[0]:.2f}", f"{cat[10]:.2f}", f"{cat[-1]:.2f}") == ("0.19", "0.29", "0.05")
    page_says("처음 10단계에 0.19에서 0.29로 오히려 오르다가")
    page_says('"cat"의 가중치가 0.05까지 내려갑니다')
    history = lesson.preference_during_training()
    _, f_at_10, _ = history[1]
    animal, subject = f_at_10[0], f_at_10[1]
    assert animal > subject
    assert (f"{animal:.2f}", f"{subject:.2f}") == ("0.81", "0.35")
    page_says("10단계의 $f$는 동물 칸(0.81)이 주어 칸(0.35)보다")


def test_what_was_learned():
    f_dog = lesson.query_preference(*lesson.train_pronoun("dog")[:2])
    f_cat = lesson.query_preference(*lesson.train_pronoun("cat")[:2])
    f_2i = lesson.query_preference(lesson.LESSON01_W_QK, lesson.LESSON01_W_QK)
    animal, subject, action, function_word = range(4)
    # dog: animal and subject wanted, action and function words avoided.
    assert f_dog[animal] > 0 and f_dog[subject] > 0
    assert f_dog[action] < 0 and f_dog[function_word] < 0
    # cat: animal wanted, subject avoided; both avoid function words.
    assert f_cat[animal] > 0 and f_cat[subject] < 0 and f_cat[function_word] < 0
    # Exercise 2: 2I gives 2·x_It, closer in direction to the dog-trained f.
    assert_allclose(lesson.IT, [0.8, 1.0, 0.0, 0.2])
    page_says("= 동물 0.8, 주어 1.0, 동작 0.0, 기능어 0.2, $d_k = 4$)")
    assert_allclose(f_2i, 2 * lesson.IT)
    assert_allclose(f_2i, [1.6, 2.0, 0.0, 0.4])
    page_says("(동물 1.6, 주어 2.0, 동작 0.0, 기능어 0.4)")

    def cosine(a, b):
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    assert cosine(f_2i, f_dog) > 0.8 > cosine(f_2i, f_cat)
    assert np.sign(f_2i[subject]) == -np.sign(f_cat[subject])
    # Exercise 3: dog's score is f_animal + f_subject, cat's is f_animal.
    scores = lesson.CONTEXT @ f_dog
    assert_allclose(scores[DOG], f_dog[animal] + f_dog[subject])
    assert_allclose(scores[CAT], f_dog[animal])
    assert (f"{f_dog[animal]:.2f}", f"{f_dog[subject]:.2f}") == ("2.47", "3.02")


# The page and its figures ------------------------------------------------------------------


def test_page_places_its_figures_and_links_on():
    names = [name for name in all_figures() if name.startswith("masked_cross_")]
    assert len(names) == 4
    for name in names:
        assert f"<!-- figure: {name} -->" in PAGE
    assert "(04_position_and_transformer_block.md)" in PAGE
    assert "(06_efficient_attention.md)" in PAGE
    includes = re.findall(r'--8<-- "snippets/masked_and_cross_attention\.py:(\w+)"', PAGE)
    source = (ROOT / "snippets" / "masked_and_cross_attention.py").read_text(encoding="utf-8")
    sections = re.findall(r"# --8<-- \[start:(\w+)\]", source)
    assert sorted(includes) == sorted(sections)  # every section is shown, once


def test_figures_show_what_the_page_says():
    figures = all_figures()
    causal = figures["masked_cross_causal"].compute_checked()
    mask, weights = causal.panels
    assert_array_equal(mask.values, np.tril(np.ones((6, 6))))
    assert np.isneginf(weights.scores[np.triu_indices(6, k=1)]).all()
    assert (weights.values[np.triu_indices(6, k=1)] == 0).all()
    before_after = figures["masked_cross_pronoun_before_after"].compute_checked()
    winners = [lesson01.PRONOUN_CONTEXT[i] for i in before_after.values.argmax(axis=1)]
    assert winners == ["dog", "The", "dog", "cat"]
    lines = figures["masked_cross_pronoun_training"].compute_checked()
    assert [s.label for s in lines.series] == ["dog의 가중치", "cat의 가중치"]
