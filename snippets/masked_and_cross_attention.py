"""05강 마스크드 어텐션과 크로스 어텐션: 디코더가 쓰는 두 어텐션, 그리고 학습된 가중치.

페이지(docs/05_masked_and_cross_attention.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
장난감 데이터는 01강(snippets/attention_intuition.py)의 벡터를 그대로 가져다 쓴다.
"""

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from snippets.attention_intuition import (
    MEANING,
    PRONOUN_CONTEXT,
    PRONOUN_VECTORS,
    SENTENCE,
    SOURCE,
    TARGET,
    TEMPERATURE,
    embed,
)
from snippets.core import apply_mask, attention, causal_mask, multi_head_attention, softmax
from snippets.figures import Heatmap, HeatmapGrid, LinePlot, Series, figure


# --8<-- [start:causal_attention]
def decoder_self_attention(
    words: Iterable[str], causal: bool = True, temperature: float = TEMPERATURE
) -> tuple[np.ndarray, np.ndarray]:
    """디코더의 셀프 어텐션. causal이면 i번째 단어는 0…i번째 단어만 본다.

    01강의 단어 벡터와 온도를 그대로 쓴다. (출력, 가중치)를 돌려준다.

    >>> _, weights = decoder_self_attention(SENTENCE)
    >>> print(weights.round(2))
    [[1.   0.   0.   0.   0.   0.  ]
     [0.17 0.83 0.   0.   0.   0.  ]
     [0.09 0.35 0.56 0.   0.   0.  ]
     [0.19 0.08 0.14 0.58 0.   0.  ]
     [0.38 0.07 0.05 0.13 0.38 0.  ]
     [0.05 0.08 0.11 0.29 0.05 0.41]]
    """
    vectors = embed(words)  # (n, d)
    mask = causal_mask(len(vectors)) if causal else None  # (n, n) 또는 마스크 없음
    return attention(vectors, vectors, vectors, temperature, mask)  # (n, d), (n, n)


# --8<-- [end:causal_attention]


# --8<-- [start:future_check]
def output_change(words: Iterable[str], other_words: Iterable[str], causal: bool = True):
    """두 문장을 디코더 셀프 어텐션에 넣고, 위치마다 출력이 얼마나 달라졌는지 잰다.

    >>> other = ("The", "cat", "sat", "on", "the", "cat")  # 마지막 단어만 바꾼다
    >>> print(output_change(SENTENCE, other).round(2))  # 인과 마스크
    [0.  0.  0.  0.  0.  0.6]
    >>> print(output_change(SENTENCE, other, causal=False).round(2))  # 마스크 없음
    [0.05 0.14 0.16 0.17 0.05 0.6 ]
    """
    before, _ = decoder_self_attention(words, causal)  # (n, d)
    after, _ = decoder_self_attention(other_words, causal)  # (n, d)
    return np.abs(after - before).max(axis=1)  # (n, d) -> (n,)


def generate_step_by_step(words: Iterable[str], temperature: float = TEMPERATURE) -> np.ndarray:
    """생성할 때처럼 한 단어씩 계산한다. t번째 단계에는 0…t번째 단어만 있어 마스크가 필요 없다.

    >>> parallel, _ = decoder_self_attention(SENTENCE)  # 학습: 한 번에, 인과 마스크로
    >>> print(np.allclose(generate_step_by_step(SENTENCE), parallel))
    True
    >>> cheating, _ = decoder_self_attention(SENTENCE, causal=False)  # 마스크를 빼면
    >>> print(np.allclose(generate_step_by_step(SENTENCE), cheating))
    False
    """
    vectors = embed(words)  # (n, d)
    outputs = []
    for t in range(len(vectors)):
        seen = vectors[: t + 1]  # (t + 1, d) 지금까지 만든 단어들
        output, _ = attention(seen[-1:], seen, seen, temperature)  # (1, d) 새 단어의 쿼리만
        outputs.append(output[0])  # (d,)
    return np.stack(outputs)  # (n, d)


# --8<-- [end:future_check]


# --8<-- [start:zero_is_not_masking]
def zero_instead_of_minus_infinity() -> tuple[np.ndarray, np.ndarray]:
    """가린 칸의 점수를 0으로 두면 가중치가 0이 되지 않는다. -inf라야 정확히 0이다.

    >>> scores = np.array([[1.0, 2.0, 3.0]])
    >>> allowed = np.array([[True, True, False]])  # 세 번째 키를 가린다
    >>> print(softmax(np.where(allowed, scores, 0.0)).round(2))  # 0으로 두면
    [[0.24 0.67 0.09]]
    >>> print(softmax(apply_mask(scores, allowed)).round(2))  # -inf로 두면
    [[0.27 0.73 0.  ]]
    >>> print(causal_mask(6).sum(), causal_mask(6).size)  # 여섯 단어에서 남는 칸 / 전체 칸
    21 36
    """
    scores = np.array([[1.0, 2.0, 3.0]])  # (1, 3)
    allowed = np.array([[True, True, False]])  # (1, 3)
    zeroed = softmax(np.where(allowed, scores, 0.0))  # (1, 3)
    masked = softmax(apply_mask(scores, allowed))  # (1, 3)
    return zeroed, masked


# --8<-- [end:zero_is_not_masking]


# --8<-- [start:lesson01_projection]
D_MODEL = 4  # 01강의 단어 벡터는 특징 4개
# 01강의 어텐션(온도 0.5)은 W_Q = W_K = 2I인 스케일드 닷프로덕트 어텐션과 같다:
# 헤드 하나면 d_k = 4이므로 (2x)·(2y)/√4 = x·y/0.5. W_V = W_O = I는 값을 그대로 둔다.
LESSON01_W_QK = 2.0 * np.eye(D_MODEL)  # (d_model, d_model)
IDENTITY = np.eye(D_MODEL)  # (d_model, d_model)


def cross_attention_with_projections(
    target: Iterable[str] = TARGET, source: Iterable[str] = SOURCE, meaning: dict = MEANING
) -> np.ndarray:
    """크로스 어텐션: 쿼리는 디코더(한국어)에서, 키와 값은 인코더(영어)에서 온다. 마스크는 없다.

    >>> weights = cross_attention_with_projections()  # 행 = 고양이가, 앉았다 / 열 = The, cat, sat
    >>> print(weights.round(2))
    [[0.12 0.57 0.31]
     [0.09 0.35 0.56]]
    """
    decoder_states = embed(meaning[word] for word in target)  # (n_target, d) 01강의 가정
    encoder_states = embed(source)  # (n_source, d)
    _, weights = multi_head_attention(
        decoder_states,  # 쿼리가 나오는 곳
        encoder_states,  # 키와 값이 나오는 곳
        LESSON01_W_QK,
        LESSON01_W_QK,
        IDENTITY,
        IDENTITY,
        n_heads=1,
    )  # (1, n_target, n_source)
    return weights[0]  # (n_target, n_source)


# --8<-- [end:lesson01_projection]


# --8<-- [start:decoder_block]
class DecoderAttention(NamedTuple):
    output: np.ndarray  # (n_target, d)
    self_weights: np.ndarray  # (n_target, n_target), 인과 마스크
    cross_weights: np.ndarray  # (n_target, n_source), 마스크 없음


def decoder_block_attention(
    target: Iterable[str] = TARGET, source: Iterable[str] = SOURCE
) -> DecoderAttention:
    """디코더 블록의 어텐션 두 번: ① 마스크드 셀프 어텐션 → ② 크로스 어텐션.

    잔차 연결만 남기고 층 정규화와 피드포워드 네트워크는 뺐다(04강).

    >>> block = decoder_block_attention()
    >>> print(block.self_weights.round(2))  # 고양이가, 앉았다 → 고양이가, 앉았다
    [[1.   0.  ]
     [0.38 0.62]]
    >>> print(block.cross_weights.round(2))  # 고양이가, 앉았다 → The, cat, sat
    [[0.03 0.75 0.22]
     [0.02 0.36 0.62]]
    """
    x = embed(MEANING[word] for word in target)  # (n_target, d) 디코더 입력
    memory = embed(source)  # (n_source, d) 인코더 출력 (여기서는 임베딩 그대로)
    w_qk, w_vo = LESSON01_W_QK, IDENTITY  # (d, d) 네 투영
    self_out, self_weights = multi_head_attention(
        x, x, w_qk, w_qk, w_vo, w_vo, n_heads=1, mask=causal_mask(len(x))
    )  # (n_target, d), (1, n_target, n_target)
    x = x + self_out  # (n_target, d) 잔차 연결
    cross_out, cross_weights = multi_head_attention(
        x, memory, w_qk, w_qk, w_vo, w_vo, n_heads=1
    )  # (n_target, d), (1, n_target, n_source): 쿼리 = 디코더, 키·값 = 인코더
    x = x + cross_out  # (n_target, d) 잔차 연결
    return DecoderAttention(x, self_weights[0], cross_weights[0])


# --8<-- [end:decoder_block]


# --8<-- [start:long_sentence]
LONG_TARGET = ("고양이가", "매트", "위에", "앉았다")  # "The cat sat on the mat"의 번역
LONG_MEANING = MEANING | {"매트": "mat", "위에": "on"}


def aligned_source_words(weights: np.ndarray, source: Iterable[str]) -> list[str]:
    """행(한국어 토큰)마다 가장 큰 가중치를 받은 영어 단어.

    >>> weights = cross_attention_with_projections(LONG_TARGET, SENTENCE, LONG_MEANING)
    >>> print(weights.shape)
    (4, 6)
    >>> print(aligned_source_words(weights, SENTENCE), weights.argmax(axis=1))
    ['cat', 'mat', 'on', 'sat'] [1 5 3 2]
    >>> wrong = np.tril(np.ones((2, 3), dtype=bool))  # 크로스 어텐션에 삼각 마스크를 씌우면
    >>> x, e = embed(["cat", "sat"]), embed(SOURCE)
    >>> print(attention(x, e, e, TEMPERATURE, wrong)[1].round(2))
    [[1.   0.   0.  ]
     [0.21 0.79 0.  ]]
    """
    source = tuple(source)
    return [source[j] for j in weights.argmax(axis=1)]  # (n_target, n_source) -> n_target개


# --8<-- [end:long_sentence]


# --8<-- [start:pronoun_projection]
IT = PRONOUN_VECTORS["it"]  # (d,) 쿼리가 될 "It" (특징: 동물, 주어, 동작, 기능어)
CONTEXT = embed(PRONOUN_CONTEXT, PRONOUN_VECTORS)  # (n_k, d) "The dog chased the cat"
D_K = 4  # 투영한 쿼리와 키의 차원
SEED = 2024


def pronoun_scores(w_q: np.ndarray, w_k: np.ndarray) -> np.ndarray:
    """쿼리 "It"과 앞 문장 키들의 점수: (x_It W_Q)·(x_j W_K)/√d_k."""
    query = IT @ w_q  # (d,) @ (d, d_k) -> (d_k,)
    keys = CONTEXT @ w_k  # (n_k, d) @ (d, d_k) -> (n_k, d_k)
    return keys @ query / np.sqrt(w_q.shape[1])  # (n_k, d_k) @ (d_k,) -> (n_k,)


def random_projections(seed: int = SEED, scale: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """학습 전의 W_Q, W_K: 평균 0, 표준편차 scale인 무작위 행렬.

    >>> print(softmax(pronoun_scores(LESSON01_W_QK, LESSON01_W_QK)).round(2))  # 01강
    [0.03 0.77 0.06 0.03 0.1 ]
    >>> print(softmax(pronoun_scores(*random_projections())).round(2))  # 무작위 투영
    [0.26 0.11 0.17 0.26 0.19]
    """
    rng = np.random.default_rng(seed)
    w_q = rng.normal(0.0, scale, size=(len(IT), D_K))  # (d, d_k)
    w_k = rng.normal(0.0, scale, size=(len(IT), D_K))  # (d, d_k)
    return w_q, w_k


def count_dog_favourites(n_trials: int = 1000) -> int:
    """무작위 투영 n_trials개 중 "It"이 dog에 가장 큰 가중치를 주는 것의 수.

    >>> print(count_dog_favourites(), "/ 1000")
    249 / 1000
    """
    dog = PRONOUN_CONTEXT.index("dog")
    favourites = [pronoun_scores(*random_projections(seed)).argmax() for seed in range(n_trials)]
    return int(np.sum(np.array(favourites) == dog))


# --8<-- [end:pronoun_projection]


# --8<-- [start:gradient]
def loss_and_gradients(
    w_q: np.ndarray, w_k: np.ndarray, target: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """손실 L = -log(weights[target]) 과 손으로 유도한 기울기 dL/dW_Q, dL/dW_K."""
    scale = np.sqrt(w_q.shape[1])  # √d_k
    query = IT @ w_q  # (d,) @ (d, d_k) -> (d_k,)
    keys = CONTEXT @ w_k  # (n_k, d) @ (d, d_k) -> (n_k, d_k)
    weights = softmax(keys @ query / scale)  # (n_k,)
    loss = -np.log(weights[target])
    d_scores = weights - np.eye(len(weights))[target]  # (n_k,) dL/ds = w - y
    d_query = keys.T @ d_scores / scale  # (d_k, n_k) @ (n_k,) -> (d_k,)
    d_keys = np.outer(d_scores, query) / scale  # (n_k,) ⊗ (d_k,) -> (n_k, d_k)
    d_w_q = np.outer(IT, d_query)  # (d,) ⊗ (d_k,) -> (d, d_k)
    d_w_k = CONTEXT.T @ d_keys  # (d, n_k) @ (n_k, d_k) -> (d, d_k)
    return float(loss), d_w_q, d_w_k


def numerical_gradient(w: np.ndarray, loss_of, eps: float = 1e-6) -> np.ndarray:
    """유한 차분(finite difference): 원소 하나를 ±eps만큼 움직여 손실의 기울기를 잰다.

    >>> w_q, w_k = random_projections()
    >>> dog = PRONOUN_CONTEXT.index("dog")
    >>> _, d_w_q, d_w_k = loss_and_gradients(w_q, w_k, dog)
    >>> numeric_q = numerical_gradient(w_q, lambda w: loss_and_gradients(w, w_k, dog)[0])
    >>> numeric_k = numerical_gradient(w_k, lambda w: loss_and_gradients(w_q, w, dog)[0])
    >>> print(np.allclose(d_w_q, numeric_q, atol=1e-8), np.allclose(d_w_k, numeric_k, atol=1e-8))
    True True
    """
    gradient = np.zeros_like(w)  # (d, d_k)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = eps
        gradient[index] = (loss_of(w + step) - loss_of(w - step)) / (2 * eps)  # 중앙 차분
    return gradient


# --8<-- [end:gradient]


# --8<-- [start:training]
LEARNING_RATE = 0.3
STEPS = 30


class TrainingRun(NamedTuple):
    w_q: np.ndarray  # (d, d_k) 학습이 끝난 투영
    w_k: np.ndarray  # (d, d_k)
    weights: np.ndarray  # (steps + 1, n_k) 단계마다 "It"의 가중치
    losses: np.ndarray  # (steps + 1,) 단계마다 손실


def train_pronoun(target: str = "dog", steps: int = STEPS) -> TrainingRun:
    """경사 하강법: 무작위 W_Q, W_K에서 시작해 "It"이 target을 보도록 조금씩 고친다.

    >>> run = train_pronoun("dog")
    >>> print(run.weights[0].round(2), run.weights[-1].round(2))  # The dog chased the cat
    [0.26 0.11 0.17 0.26 0.19] [0.   0.94 0.01 0.   0.05]
    >>> print(run.losses[0].round(2), run.losses[-1].round(2))
    2.2 0.06
    """
    index = PRONOUN_CONTEXT.index(target)
    w_q, w_k = random_projections()  # (d, d_k), (d, d_k)
    weights, losses = [], []
    for _ in range(steps):
        weights.append(softmax(pronoun_scores(w_q, w_k)))  # (n_k,)
        loss, d_w_q, d_w_k = loss_and_gradients(w_q, w_k, index)
        losses.append(loss)
        w_q = w_q - LEARNING_RATE * d_w_q  # (d, d_k) 기울기의 반대 방향으로
        w_k = w_k - LEARNING_RATE * d_w_k  # (d, d_k)
    weights.append(softmax(pronoun_scores(w_q, w_k)))  # 마지막 단계 뒤
    losses.append(loss_and_gradients(w_q, w_k, index)[0])
    return TrainingRun(w_q, w_k, np.stack(weights), np.array(losses))


# --8<-- [end:training]


# --8<-- [start:what_was_learned]
def query_preference(w_q: np.ndarray, w_k: np.ndarray) -> np.ndarray:
    """쿼리 "It"이 찾는 특징: 점수 s_j = f·x_j 가 되는 벡터 f = x_It W_Q W_Kᵀ/√d_k.

    f의 칸은 특징 (동물, 주어, 동작, 기능어)의 순서다.

    >>> print(query_preference(*random_projections()).round(2))  # 학습 전
    [-0.23 -0.52 -0.04  0.11]
    >>> print(query_preference(*train_pronoun("dog")[:2]).round(2))  # dog 쪽으로 학습한 뒤
    [ 2.47  3.02 -0.79 -1.12]
    >>> print(query_preference(*train_pronoun("cat")[:2]).round(2))  # cat 쪽으로 학습한 뒤
    [ 3.25 -3.58 -0.66 -1.8 ]
    """
    return IT @ w_q @ w_k.T / np.sqrt(w_q.shape[1])  # (d,) @ (d, d_k) @ (d_k, d) -> (d,)


# --8<-- [end:what_was_learned]


# --8<-- [start:learning_order]
def preference_during_training(
    target: str = "dog", checkpoints: Iterable[int] = (0, 10, 30)
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """학습 중 몇 단계에서, 쿼리가 찾는 특징 f와 "It"의 가중치를 본다.

    >>> for step, f, weights in preference_during_training():  # f: 동물, 주어, 동작, 기능어
    ...     print(step, f.round(2), weights.round(2))  # weights: The dog chased the cat
    0 [-0.23 -0.52 -0.04  0.11] [0.26 0.11 0.17 0.26 0.19]
    10 [ 0.81  0.35 -0.17 -0.35] [0.09 0.41 0.13 0.09 0.29]
    30 [ 2.47  3.02 -0.79 -1.12] [0.   0.94 0.01 0.   0.05]
    """
    history = []
    for step in checkpoints:
        run = train_pronoun(target, steps=step)  # 같은 시작점에서 step단계만 학습
        history.append((step, query_preference(run.w_q, run.w_k), run.weights[-1]))
    return history


# --8<-- [end:learning_order]


# Figures of the page, placed there by name with <!-- figure: name -->.


def _causal_scores(words: Iterable[str]) -> np.ndarray:
    vectors = embed(words)  # (n, d)
    scores = vectors @ vectors.T / TEMPERATURE  # (n, n)
    return apply_mask(scores, causal_mask(len(vectors)))  # (n, n), 가린 칸은 -inf


@figure(
    "masked_cross_causal",
    title="인과 마스크와 마스크를 쓴 셀프 어텐션 가중치 (The cat sat on the mat)",
    alt="왼쪽은 6×6 인과 마스크(대각선과 그 아래가 1, 위가 0), 오른쪽은 그 마스크를 쓴 셀프 "
    "어텐션 가중치 히트맵. 행은 쿼리 단어, 열은 키 단어이고 대각선 위의 가중치는 모두 0이다.",
)
def _masked_cross_causal() -> HeatmapGrid:
    mask = causal_mask(len(SENTENCE)).astype(float)  # (6, 6)
    _, weights = decoder_self_attention(SENTENCE)  # (6, 6)
    return HeatmapGrid(
        panels=(
            Heatmap(mask, SENTENCE, SENTENCE),
            Heatmap(weights, SENTENCE, SENTENCE, scores=_causal_scores(SENTENCE)),
        ),
        titles=("인과 마스크 (1 = 볼 수 있음)", "마스크를 쓴 가중치"),
    )


@figure(
    "masked_cross_alignment",
    title="디코더 블록의 크로스 어텐션: 한국어 쿼리가 영어 키에 주는 가중치",
    alt="번역 중인 한국어 토큰 고양이가, 앉았다(행)가 영어 원문 The, cat, sat(열)에 주는 "
    "크로스 어텐션 가중치 히트맵. 2×3 행렬이다.",
)
def _masked_cross_alignment() -> Heatmap:
    return Heatmap(
        decoder_block_attention().cross_weights,
        TARGET,
        SOURCE,
        row_title="한국어 쿼리",
        col_title="영어 키 (인코더 출력)",
    )


@figure(
    "masked_cross_pronoun_training",
    title="경사 하강법 단계마다 It이 dog와 cat에 주는 가중치 (목표: dog)",
    alt="가로축은 경사 하강법 단계(0부터 30), 세로축은 It의 가중치. dog의 가중치는 오르고 "
    "cat의 가중치는 10단계쯤까지 조금 오르다가 내려가는 꺾은선 그래프.",
)
def _masked_cross_pronoun_training() -> LinePlot:
    run = train_pronoun("dog")
    return LinePlot(
        x=np.arange(len(run.losses)),
        series=tuple(
            Series(f"{word}의 가중치", run.weights[:, PRONOUN_CONTEXT.index(word)])
            for word in ("dog", "cat")
        ),
        x_label="경사 하강법 단계",
        y_label="It의 가중치",
    )


BEFORE_AFTER = ("01강 (W_Q = W_K = 2I)", "학습 전 (무작위)", "dog 쪽으로 학습", "cat 쪽으로 학습")


@figure(
    "masked_cross_pronoun_before_after",
    title="It이 앞 문장에 주는 가중치: 투영 행렬에 따라 달라진다",
    alt="네 가지 W_Q, W_K(01강, 학습 전 무작위, dog 쪽으로 학습, cat 쪽으로 학습)에서 쿼리 It이 "
    "The dog chased the cat의 각 단어에 주는 가중치 히트맵.",
)
def _masked_cross_pronoun_before_after() -> Heatmap:
    projections = (
        (LESSON01_W_QK, LESSON01_W_QK),
        random_projections(),
        train_pronoun("dog")[:2],
        train_pronoun("cat")[:2],
    )
    scores = np.stack([pronoun_scores(w_q, w_k) for w_q, w_k in projections])  # (4, n_k)
    return Heatmap(
        softmax(scores),
        BEFORE_AFTER,
        PRONOUN_CONTEXT,
        row_title="투영 행렬 (W_Q, W_K)",
        scores=scores,
    )
