"""Lesson 01: the numbers the page shows, and every claim its prose makes about them."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets import attention_intuition as lesson
from snippets.core import softmax

SEED_SCORES = np.array([0.2, 1.0, 0.7, 0.1, 0.2, 0.3])
# What the lesson's source text claimed softmax(SEED_SCORES) was.
SEED_CLAIMED_SOFTMAX = np.array([0.10, 0.35, 0.25, 0.08, 0.10, 0.12])


def words():
    return lesson.embed(lesson.SENTENCE)


def test_cat_scores_are_the_seed_scores():
    assert_allclose(lesson.similarity(words()[1], words()), SEED_SCORES, atol=1e-12)


def test_seed_softmax_numbers_were_wrong_and_ours_are_right():
    exps = np.exp(SEED_SCORES)
    truth = exps / exps.sum()
    assert_allclose(softmax(SEED_SCORES), truth, rtol=1e-12)
    assert_allclose(truth.round(2), [0.13, 0.28, 0.21, 0.11, 0.13, 0.14])
    assert not np.allclose(truth, SEED_CLAIMED_SOFTMAX, atol=0.02)
    # The page says the true weights are flatter than the claimed ones.
    assert np.ptp(truth) < np.ptp(SEED_CLAIMED_SOFTMAX)


def test_weighted_sum_by_hand():
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert_allclose(lesson.weighted_sum(values, np.array([0.5, 0.25, 0.25])), [2.5, 3.5])


def test_cat_gains_place_information_from_context():
    vectors = words()
    new_cat = lesson.weighted_sum(vectors, softmax(lesson.similarity(vectors[1], vectors)))
    place = lesson.FEATURES.index("장소")
    assert vectors[1][place] == 0 and new_cat[place] > 0
    assert (new_cat >= vectors.min(axis=0)).all() and (new_cat <= vectors.max(axis=0)).all()


def test_lower_temperature_concentrates_on_the_top_score():
    peaks = [lesson.attention_weights(words()[1], words(), t).max() for t in (1.0, 0.5, 0.25)]
    assert peaks == sorted(peaks)
    for t in (1.0, 0.5, 0.25):
        assert (
            lesson.SENTENCE[int(lesson.attention_weights(words()[1], words(), t).argmax())] == "cat"
        )


def test_soft_lookup_over_the_capital_memory():
    countries = list(lesson.MEMORY.values())
    for question, expected in [("수도가 파리인 나라", "프랑스"), ("아시아 섬나라", "일본")]:
        result = lesson.soft_lookup(
            lesson.QUERIES[question], lesson.KEY_VECTORS, lesson.VALUE_VECTORS
        )
        assert_allclose(result.sum(), 1.0)
        assert countries[int(result.argmax())] == expected
    # "아시아 나라" splits evenly between 서울 and 도쿄, as the page says.
    asia = lesson.soft_lookup(
        lesson.QUERIES["아시아 나라"], lesson.KEY_VECTORS, lesson.VALUE_VECTORS
    )
    assert_allclose(asia[1], asia[2])
    assert asia[1] > asia[0]
    # With one-hot values the lookup result is exactly the weights.
    paris = lesson.QUERIES["수도가 파리인 나라"]
    assert_allclose(
        lesson.soft_lookup(paris, lesson.KEY_VECTORS, lesson.VALUE_VECTORS),
        lesson.attention_weights(paris, lesson.KEY_VECTORS, lesson.TEMPERATURE),
    )


def test_self_attention_matrix_claims():
    weights = lesson.self_attention_weights(lesson.SENTENCE)
    index = {word: i for i, word in enumerate(lesson.SENTENCE)}
    assert weights.shape == (6, 6)
    assert_allclose(weights.sum(axis=1), 1.0)
    # "The" and "the" share a vector, so their rows are identical.
    assert_allclose(weights[index["The"]], weights[index["the"]])
    # The diagonal is the row maximum (ties allowed for The/the).
    assert_allclose(weights.diagonal(), weights.max(axis=1))
    # cat and sat, on and mat look at each other most after themselves.
    for a, b in [("cat", "sat"), ("sat", "cat"), ("on", "mat"), ("mat", "on")]:
        row = weights[index[a]].copy()
        row[index[a]] = -1
        assert int(row.argmax()) == index[b]


def test_text_heatmap_marks_above_uniform_weights():
    weights = lesson.self_attention_weights(lesson.SENTENCE)
    lines = lesson.text_heatmap(weights, lesson.SENTENCE).splitlines()
    assert lines[0].split() == list(lesson.SENTENCE)
    for line, row in zip(lines[1:], weights, strict=True):
        marks = line.split()[1:]
        assert marks == ["■" if w > 1 / 6 else "□" for w in row]


def test_cross_attention_aligns_translation():
    weights = lesson.cross_attention_weights()
    assert weights.shape == (len(lesson.TARGET), len(lesson.SOURCE))
    assert_allclose(weights.sum(axis=1), 1.0)
    assert [lesson.SOURCE[i] for i in weights.argmax(axis=1)] == ["cat", "sat"]
    assert weights[1, lesson.SOURCE.index("cat")] > weights[1, lesson.SOURCE.index("The")]


def test_pronoun_prefers_dog_then_cat():
    weights = lesson.pronoun_weights()
    ranked = [lesson.PRONOUN_CONTEXT[i] for i in np.argsort(-weights)]
    assert ranked[:2] == ["dog", "cat"]
    assert_allclose(weights.sum(), 1.0)


def test_love_exercise_answer():
    love = np.array([0.3, 0.2, 0.25, 0.25])
    assert_allclose(love.sum(), 1.0)
    assert_allclose(love[2:].sum(), 0.5)
    scores = lesson.scores_from_weights(love)
    assert scores.max() == 0
    assert_allclose(scores, np.log(love / 0.3))


@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-20, 20)))
def test_scores_from_weights_inverts_softmax(scores):
    recovered = lesson.scores_from_weights(softmax(scores))
    assert_allclose(recovered, scores - scores.max(), atol=1e-9)


def test_embed_is_case_insensitive_and_rejects_unknown_words():
    assert_allclose(lesson.embed(["The"]), lesson.embed(["the"]))
    with pytest.raises(KeyError):
        lesson.embed(["dog"])
