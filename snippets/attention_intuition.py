"""01강 어텐션의 직관적 이해: 유사도 → softmax → 가중합.

페이지(docs/01_attention_intuition.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
장난감 데이터는 손으로 정한 작은 벡터다. 실제 모델은 이런 벡터를 학습한다.
"""

from collections.abc import Iterable

import numpy as np

from snippets.core import attention, softmax
from snippets.figures import Heatmap, figure

# fmt: off
# --8<-- [start:toy_vectors]
# 단어마다 특징 네 개의 점수를 손으로 정했다. 칸의 순서는 FEATURES와 같다.
FEATURES = ("개체", "동작", "장소", "기능어")
WORD_VECTORS = {
    "the": np.array([0.25, 0.00, 0.00, 1.00]),  # 기능어(관사)
    "cat": np.array([0.80, 0.60, 0.00, 0.00]),  # 개체이고, 움직이는 주체
    "sat": np.array([0.20, 0.90, 0.30, 0.00]),  # 동작, 장소와도 조금
    "on":  np.array([0.05, 0.10, 0.90, 0.50]),  # 장소를 나타내는 기능어
    "mat": np.array([0.30, 0.10, 1.00, 0.00]),  # 장소가 되는 개체
}
SENTENCE = ("The", "cat", "sat", "on", "the", "mat")


def embed(words: Iterable[str], vocabulary: dict = WORD_VECTORS) -> np.ndarray:
    """단어마다 벡터를 찾아 행으로 쌓는다. 대소문자는 구별하지 않는다.

    >>> print(embed(SENTENCE).shape)
    (6, 4)
    """
    return np.stack([vocabulary[word.lower()] for word in words])  # (n, d)


# --8<-- [end:toy_vectors]
# fmt: on


# --8<-- [start:similarity]
def similarity(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """쿼리와 각 키의 내적(dot product). 같은 특징을 많이 가질수록 크다.

    >>> words = embed(SENTENCE)
    >>> print(similarity(words[1], words).round(2))  # 쿼리 = "cat"
    [0.2 1.  0.7 0.1 0.2 0.3]
    """
    return keys @ query  # (n_k, d) @ (d,) -> (n_k,)


# --8<-- [end:similarity]


# --8<-- [start:weighted_sum]
def weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """값 벡터들을 가중치만큼 더한다. 가중치의 합이 1이면 가중 평균이다.

    >>> words = embed(SENTENCE)
    >>> weights = softmax(similarity(words[1], words))
    >>> print(weighted_sum(words, weights).round(2))  # "cat"의 새 벡터
    [0.38 0.38 0.31 0.31]
    """
    return weights @ values  # (n_k,) @ (n_k, d_v) -> (d_v,)


# --8<-- [end:weighted_sum]


# --8<-- [start:temperature]
TEMPERATURE = 0.5  # 이 레슨의 그림은 점수를 2배로 키워(온도 0.5) 본다.


def attention_weights(query: np.ndarray, keys: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """점수를 온도(temperature)로 나누고 softmax. 온도가 낮을수록 큰 점수에 몰린다.

    >>> words = embed(SENTENCE)
    >>> for t in (1.0, 0.5, 0.25):
    ...     print(t, attention_weights(words[1], words, t).round(2))
    1.0 [0.13 0.28 0.21 0.11 0.13 0.14]
    0.5 [0.09 0.42 0.23 0.07 0.09 0.1 ]
    0.25 [0.03 0.68 0.2  0.02 0.03 0.04]
    """
    return softmax(similarity(query, keys) / temperature)  # (n_k,) / () -> (n_k,)


# --8<-- [end:temperature]


# fmt: off
# --8<-- [start:capital_memory]
# 보통 딕셔너리: 키(수도)가 정확히 같아야 값(나라)을 돌려준다.
MEMORY = {"파리": "프랑스", "서울": "한국", "도쿄": "일본"}

# 소프트 조회용: 키는 특징 벡터, 값은 나라를 가리키는 원-핫 벡터로 적는다.
CITY_FEATURES = ("유럽", "아시아", "섬나라")
KEY_VECTORS = np.array([
    # 유럽 아시아 섬나라
    [1.0, 0.0, 0.0],  # 파리
    [0.0, 1.0, 0.0],  # 서울
    [0.0, 1.0, 1.0],  # 도쿄
])  # (3 keys, 3 features)
VALUE_VECTORS = np.eye(3)  # (3 keys, 3 countries): i번째 행 = i번째 나라
QUERIES = {
    "수도가 파리인 나라": np.array([1.0, 0.0, 0.0]),  # 유럽의 수도를 찾는다
    "아시아 섬나라": np.array([0.0, 0.5, 0.5]),
    "아시아 나라": np.array([0.0, 1.0, 0.0]),
}
# --8<-- [end:capital_memory]
# fmt: on


# --8<-- [start:soft_lookup]
def soft_lookup(
    query: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    temperature: float = TEMPERATURE,
) -> np.ndarray:
    """모든 키와 비교하고, 값들을 유사도 가중치로 섞는다: 부드러운 딕셔너리 조회.

    >>> print(MEMORY["파리"])  # 딕셔너리는 정확히 같은 키만 찾는다
    프랑스
    >>> result = soft_lookup(QUERIES["수도가 파리인 나라"], KEY_VECTORS, VALUE_VECTORS)
    >>> print(result.round(2))  # 프랑스, 한국, 일본의 몫
    [0.79 0.11 0.11]
    >>> print(list(MEMORY.values())[result.argmax()])
    프랑스
    """
    weights = attention_weights(query, keys, temperature)  # (n_k,)
    return weighted_sum(values, weights)  # (n_k,) @ (n_k, d_v) -> (d_v,)


# --8<-- [end:soft_lookup]


# --8<-- [start:self_attention]
def self_attention_weights(words: Iterable[str], temperature: float = TEMPERATURE) -> np.ndarray:
    """문장의 모든 단어가 쿼리이자 키다. 행 = 쿼리, 열 = 키, 행마다 합이 1.

    >>> weights = self_attention_weights(SENTENCE)
    >>> print(weights.round(2))
    [[0.36 0.06 0.05 0.12 0.36 0.05]
     [0.09 0.42 0.23 0.07 0.09 0.1 ]
     [0.06 0.23 0.38 0.12 0.06 0.14]
     [0.12 0.05 0.09 0.36 0.12 0.27]
     [0.36 0.06 0.05 0.12 0.36 0.05]
     [0.05 0.08 0.11 0.29 0.05 0.41]]
    """
    vectors = embed(words)  # (n, d)
    _, weights = attention(vectors, vectors, vectors, temperature)  # (n, n)
    return weights


# --8<-- [end:self_attention]


# --8<-- [start:text_heatmap]
def text_heatmap(weights: np.ndarray, labels: Iterable[str]) -> str:
    """■ = 고르게 나눌 때의 몫(1/n)보다 큰 가중치, □ = 그 이하.

    >>> print(text_heatmap(self_attention_weights(SENTENCE), SENTENCE))
         The cat sat on  the mat
    The  ■   □   □   □   ■   □
    cat  □   ■   ■   □   □   □
    sat  □   ■   ■   □   □   □
    on   □   □   □   ■   □   ■
    the  ■   □   □   □   ■   □
    mat  □   □   □   ■   □   ■
    """
    labels = list(labels)
    n_keys = weights.shape[1]  # (n_q, n_k)
    width = max(len(label) for label in labels) + 2
    lines = [" " * width + "".join(label.ljust(width - 1) for label in labels).rstrip()]
    for label, row in zip(labels, weights, strict=True):
        marks = ("■" if weight > 1 / n_keys else "□" for weight in row)  # (n_k,)
        lines.append((label.ljust(width) + "".join(m.ljust(width - 1) for m in marks)).rstrip())
    return "\n".join(lines)


# --8<-- [end:text_heatmap]


# --8<-- [start:cross_attention]
SOURCE = ("The", "cat", "sat")  # 영어 문장: 키와 값
TARGET = ("고양이가", "앉았다")  # 한국어 번역: 쿼리
# 가정: 디코더가 한국어 단어를 만들 때의 상태는 뜻이 같은 영어 단어의 벡터와 같다.
# 실제 번역 모델은 이 대응을 데이터에서 배운다.
MEANING = {"고양이가": "cat", "앉았다": "sat"}


def cross_attention_weights(temperature: float = TEMPERATURE) -> np.ndarray:
    """한국어 단어(쿼리)가 영어 단어(키)에 주는 가중치. 행 = 한국어, 열 = 영어.

    >>> print(cross_attention_weights().round(2))
    [[0.12 0.57 0.31]
     [0.09 0.35 0.56]]
    """
    queries = embed(MEANING[word] for word in TARGET)  # (n_target, d)
    keys = embed(SOURCE)  # (n_source, d)
    _, weights = attention(queries, keys, keys, temperature)  # (n_target, n_source)
    return weights


# --8<-- [end:cross_attention]


# fmt: off
# --8<-- [start:pronoun]
# "The dog chased the cat. It was fast." 에서 "It"이 앞 문장의 어느 단어를 볼까?
PRONOUN_FEATURES = ("동물", "주어", "동작", "기능어")
PRONOUN_VECTORS = {
    "the":    np.array([0.0, 0.0, 0.0, 1.0]),
    "dog":    np.array([1.0, 1.0, 0.0, 0.0]),  # 동물이고, 첫 문장의 주어
    "chased": np.array([0.0, 0.5, 1.0, 0.0]),
    "cat":    np.array([1.0, 0.0, 0.0, 0.0]),  # 동물이지만, 쫓기는 쪽(목적어)
    "it":     np.array([0.8, 1.0, 0.0, 0.2]),  # 동물이고, 다음 문장의 주어
}
PRONOUN_CONTEXT = ("The", "dog", "chased", "the", "cat")


def pronoun_weights(temperature: float = TEMPERATURE) -> np.ndarray:
    """쿼리 "It"이 앞 문장의 각 단어에 주는 가중치.

    >>> print(pronoun_weights().round(2))
    [0.03 0.77 0.06 0.03 0.1 ]
    """
    it = PRONOUN_VECTORS["it"]  # (d,)
    keys = embed(PRONOUN_CONTEXT, PRONOUN_VECTORS)  # (n_k, d)
    return attention_weights(it, keys, temperature)  # (n_k,)


# --8<-- [end:pronoun]
# fmt: on


# --8<-- [start:inverse_softmax]
def scores_from_weights(weights: np.ndarray) -> np.ndarray:
    """softmax를 거꾸로: 가중치를 만든 점수를 되찾는다 (가장 큰 점수를 0으로).

    softmax는 점수에 같은 수를 더해도 바뀌지 않으므로, 점수는 그 차이만 정해진다.

    >>> love = np.array([0.3, 0.2, 0.25, 0.25])  # I, love, ice, cream
    >>> print(love.sum(), love[2:].sum())  # 합, "ice cream"의 몫
    1.0 0.5
    >>> print(scores_from_weights(love).round(2))
    [ 0.   -0.41 -0.18 -0.18]
    >>> print(softmax(scores_from_weights(love)).round(2))
    [0.3  0.2  0.25 0.25]
    """
    logs = np.log(weights)  # (n,)
    return logs - logs.max()  # (n,) - () -> (n,)


# --8<-- [end:inverse_softmax]


# Figures of the page, placed there by name with <!-- figure: name -->.


CAT_TEMPERATURES = (1.0, 0.5, 0.25)


@figure(
    "cat_query_weights",
    title="쿼리 'cat'의 가중치: 온도가 낮을수록 한 단어에 몰린다",
    alt=f"쿼리 cat이 The cat sat on the mat의 각 단어에 주는 가중치를 온도 "
    f"{', '.join(f'{t:g}' for t in CAT_TEMPERATURES)}에서 비교한 히트맵.",
)
def _cat_query_weights() -> Heatmap:
    words = embed(SENTENCE)  # (6, d)
    rows = np.stack([attention_weights(words[1], words, t) for t in CAT_TEMPERATURES])  # (3, 6)
    return Heatmap(
        rows,
        row_labels=tuple(f"온도 {t:g}" for t in CAT_TEMPERATURES),
        col_labels=SENTENCE,
        row_title="온도 (temperature)",
        scores=np.stack([similarity(words[1], words)] * len(CAT_TEMPERATURES)),  # (3, 6)
    )


@figure(
    "self_attention_matrix",
    title=f"The cat sat on the mat의 셀프 어텐션 가중치 (온도 {TEMPERATURE:g})",
    alt="6×6 셀프 어텐션 가중치 히트맵. 행은 쿼리 단어, 열은 키 단어이고 행마다 합이 1이다.",
)
def _self_attention_matrix() -> Heatmap:
    words = embed(SENTENCE)  # (6, d)
    scores = words @ words.T  # (6, d) @ (d, 6) -> (6, 6), 온도로 나누기 전
    return Heatmap(self_attention_weights(SENTENCE), SENTENCE, SENTENCE, scores=scores)


@figure(
    "capital_lookup",
    title="수도 메모리에서 소프트 조회: 질문마다 키에 주는 가중치",
    alt="세 질문(수도가 파리인 나라, 아시아 섬나라, 아시아 나라)이 키 파리, 서울, 도쿄에 주는 "
    "가중치 히트맵.",
)
def _capital_lookup() -> Heatmap:
    rows = np.stack([attention_weights(q, KEY_VECTORS, TEMPERATURE) for q in QUERIES.values()])
    scores = np.stack([similarity(q, KEY_VECTORS) for q in QUERIES.values()])  # (3, 3)
    return Heatmap(rows, tuple(QUERIES), tuple(MEMORY), row_title="질문 (query)", scores=scores)


@figure(
    "cross_attention",
    title="크로스 어텐션: 한국어 단어가 영어 단어에 주는 가중치",
    alt="번역 중 한국어 단어 고양이가, 앉았다(쿼리)가 영어 단어 The, cat, sat(키)에 주는 "
    "가중치 히트맵.",
)
def _cross_attention() -> Heatmap:
    queries = embed(MEANING[word] for word in TARGET)  # (n_target, d)
    return Heatmap(
        cross_attention_weights(),
        TARGET,
        SOURCE,
        row_title="한국어 쿼리",
        col_title="영어 키",
        scores=queries @ embed(SOURCE).T,  # (n_target, d) @ (d, n_source), 온도로 나누기 전
    )


@figure(
    "pronoun_it",
    title="대명사 It이 앞 문장의 단어들에 주는 가중치",
    alt="쿼리 It이 The dog chased the cat의 각 단어에 주는 가중치 히트맵.",
)
def _pronoun_it() -> Heatmap:
    keys = embed(PRONOUN_CONTEXT, PRONOUN_VECTORS)  # (n_k, d)
    scores = similarity(PRONOUN_VECTORS["it"], keys)[np.newaxis, :]  # (1, n_k)
    return Heatmap(pronoun_weights()[np.newaxis, :], ("It",), PRONOUN_CONTEXT, scores=scores)
