"""02강 셀프 어텐션의 수학: 투영한 Q, K, V와 softmax(QKᵀ/√d_k)V.

페이지(docs/02_self_attention.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
문장과 단어 벡터는 01강의 것(snippets/attention_intuition.py)을 그대로 쓰고,
그 위에 손으로 정한 작은 투영 행렬 W_Q, W_K, W_V를 얹는다.
"""

from collections.abc import Iterable, Sequence

import numpy as np

from snippets.attention_intuition import SENTENCE, TEMPERATURE, WORD_VECTORS, embed
from snippets.attention_intuition import attention_weights as lesson01_weights
from snippets.core import (
    apply_mask,
    attention,
    padding_mask,
    scaled_dot_product_attention,
    softmax,
)
from snippets.figures import Heatmap, HeatmapGrid, LinePlot, Series, figure

# fmt: off
# --8<-- [start:projections]
# 키와 쿼리가 쓰는 칸 세 개. 키는 "나는 무엇인가", 쿼리는 "나는 무엇을 찾는가"를 적는다.
KEY_FEATURES = ("개체", "동작", "장소")

# W_K: 단어 특징 네 개(행) → 키 세 칸(열). 내용 특징은 그대로 내걸고, 기능어는 내걸지 않는다.
W_K = np.array([
    # 개체 동작 장소
    [1.0, 0.0, 0.0],  # 개체
    [0.0, 1.0, 0.0],  # 동작
    [0.0, 0.0, 1.0],  # 장소
    [0.0, 0.0, 0.0],  # 기능어
])  # (d_model=4, d_k=3)

# W_Q: 특징마다 "찾는 키 칸"에 3을 둔다 (3은 점수 차이가 잘 보이도록 고른 세기).
W_Q = np.array([
    # 개체 동작 장소      ← 찾는 키 칸
    [0.0, 3.0, 0.0],  # 개체   → 동작을 찾는다 (무엇을 했나)
    [0.0, 0.0, 3.0],  # 동작   → 장소를 찾는다 (어디서 했나)
    [0.0, 3.0, 0.0],  # 장소   → 동작을 찾는다 (여기서 무엇을 했나)
    [3.0, 0.0, 0.0],  # 기능어 → 개체를 찾는다 (어느 명사에 붙나)
])  # (d_model=4, d_k=3)

# W_V: 값은 특징 네 개를 그대로 넘긴다. 그래서 출력도 01강의 특징 이름으로 읽힌다.
W_V = np.eye(4)  # (d_model=4, d_v=4)
# --8<-- [end:projections]
# fmt: on


# --8<-- [start:project]
def project(
    x: np.ndarray,
    w_q: np.ndarray = W_Q,
    w_k: np.ndarray = W_K,
    w_v: np.ndarray = W_V,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """같은 임베딩 X에 서로 다른 행렬을 곱해 쿼리, 키, 값을 만든다.

    >>> x = embed(SENTENCE)
    >>> queries, keys, values = project(x)
    >>> print(x.shape, queries.shape, keys.shape, values.shape)
    (6, 4) (6, 3) (6, 3) (6, 4)
    >>> print(queries[1], keys[1])  # "cat": 찾는 것(쿼리)과 내거는 것(키)이 다르다
    [0.  2.4 1.8] [0.8 0.6 0. ]
    """
    queries = x @ w_q  # (n, d_model) @ (d_model, d_k) -> (n, d_k)
    keys = x @ w_k  # (n, d_model) @ (d_model, d_k) -> (n, d_k)
    values = x @ w_v  # (n, d_model) @ (d_model, d_v) -> (n, d_v)
    return queries, keys, values


# --8<-- [end:project]


# --8<-- [start:top_keys]
def top_keys(scores: np.ndarray, words: Sequence[str]) -> list[str]:
    """쿼리(행)마다 점수가 가장 큰 키. 같은 점수가 여럿이면 '/'로 잇는다.

    >>> x = embed(SENTENCE)
    >>> print(top_keys(x @ x.T, SENTENCE))  # 01강: 쿼리 = 키 = X
    ['The/the', 'cat', 'sat', 'on', 'The/the', 'mat']
    >>> queries, keys, _ = project(x)
    >>> print(top_keys(queries @ keys.T, SENTENCE))  # 투영한 Q, K
    ['cat', 'sat', 'mat', 'sat', 'cat', 'sat']
    """
    best = []
    for row in scores:  # row: (n_k,)
        ties = np.flatnonzero(np.isclose(row, row.max()))  # (n_ties,)
        best.append("/".join(words[i] for i in ties))
    return best


# --8<-- [end:top_keys]


# --8<-- [start:scores]
def attention_scores(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """QKᵀ: 모든 쿼리와 모든 키의 내적을 행렬 곱 한 번으로. 행 = 쿼리, 열 = 키.

    >>> queries, keys, _ = project(embed(SENTENCE))
    >>> print(attention_scores(queries, keys).round(2))
    [[0.75 2.85 1.28 0.23 0.75 0.97]
     [0.   1.44 2.7  1.86 0.   2.04]
     [0.   0.9  2.16 2.58 0.   2.85]
     [0.38 2.91 2.96 0.63 0.38 1.04]
     [0.75 2.85 1.28 0.23 0.75 0.97]
     [0.   2.34 3.6  0.66 0.   0.69]]
    """
    return queries @ keys.T  # (n_q, d_k) @ (d_k, n_k) -> (n_q, n_k)


# --8<-- [end:scores]


# --8<-- [start:scale]
def scale(scores: np.ndarray, d_k: int) -> np.ndarray:
    """점수를 √d_k로 나눈다. 01강의 온도를 √d_k로 정한 것과 같다.

    >>> queries, keys, _ = project(embed(SENTENCE))
    >>> d_k = keys.shape[-1]
    >>> print(d_k, np.sqrt(d_k).round(2))
    3 1.73
    >>> print(scale(attention_scores(queries, keys), d_k)[1].round(2))  # "cat"의 행
    [0.   0.83 1.56 1.07 0.   1.18]
    """
    return scores / np.sqrt(d_k)  # (n_q, n_k) / () -> (n_q, n_k)


# --8<-- [end:scale]


# --8<-- [start:weights]
def row_softmax(scaled_scores: np.ndarray) -> np.ndarray:
    """행마다 softmax: 쿼리마다 키들에 나눠 줄 몫. 행마다 합이 1이다.

    >>> queries, keys, _ = project(embed(SENTENCE))
    >>> weights = row_softmax(scale(attention_scores(queries, keys), 3))
    >>> print(weights.round(2))
    [[0.12 0.39 0.16 0.09 0.12 0.13]
     [0.07 0.15 0.31 0.19 0.07 0.21]
     [0.06 0.1  0.21 0.26 0.06 0.31]
     [0.07 0.32 0.33 0.09 0.07 0.11]
     [0.12 0.39 0.16 0.09 0.12 0.13]
     [0.06 0.23 0.48 0.09 0.06 0.09]]
    >>> print(weights.sum(axis=-1).round(6))
    [1. 1. 1. 1. 1. 1.]
    """
    return softmax(scaled_scores, axis=-1)  # (n_q, n_k), 행마다 합이 1


# --8<-- [end:weights]


# --8<-- [start:mix]
def mix_values(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """가중합: 쿼리마다 값 벡터들을 가중치만큼 섞는다.

    >>> queries, keys, values = project(embed(SENTENCE))
    >>> weights = row_softmax(scale(attention_scores(queries, keys), 3))
    >>> print(mix_values(weights, values).round(2))  # 열: 개체, 동작, 장소, 기능어
    [[0.45 0.4  0.26 0.28]
     [0.29 0.41 0.48 0.23]
     [0.26 0.3  0.61 0.25]
     [0.4  0.51 0.29 0.19]
     [0.45 0.4  0.26 0.28]
     [0.34 0.58 0.31 0.16]]
    """
    return weights @ values  # (n_q, n_k) @ (n_k, d_v) -> (n_q, d_v)


# --8<-- [end:mix]


# --8<-- [start:sentence_attention]
def sentence_attention(
    words: Iterable[str] = SENTENCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """네 단계를 이어서: (출력, 가중치, 나눈 점수). core의 함수와 같은 답을 낸다.

    >>> output, weights, _ = sentence_attention(SENTENCE)
    >>> same_output, same_weights = scaled_dot_product_attention(*project(embed(SENTENCE)))
    >>> print(np.allclose(output, same_output), np.allclose(weights, same_weights))
    True True
    """
    queries, keys, values = project(embed(words))  # (n, d_k), (n, d_k), (n, d_v)
    scaled = scale(attention_scores(queries, keys), keys.shape[-1])  # (n, n)
    weights = row_softmax(scaled)  # (n, n)
    return mix_values(weights, values), weights, scaled  # (n, d_v), (n, n), (n, n)


# --8<-- [end:sentence_attention]


# --8<-- [start:dot_products]
def dot_products(d_k: int, n_pairs: int = 10_000, seed: int = 0) -> np.ndarray:
    """성분이 평균 0, 분산 1인 무작위 벡터 q, k를 n_pairs쌍 뽑아 내적을 구한다.

    >>> for d_k in (1, 16, 256):
    ...     dots = dot_products(d_k)
    ...     print(d_k, dots.var().round(1), (dots / np.sqrt(d_k)).var().round(2))
    1 1.0 1.0
    16 16.3 1.02
    256 254.0 0.99
    """
    rng = np.random.default_rng(seed)
    queries = rng.standard_normal((n_pairs, d_k))  # (n_pairs, d_k)
    keys = rng.standard_normal((n_pairs, d_k))  # (n_pairs, d_k)
    return (queries * keys).sum(axis=-1)  # (n_pairs, d_k) -> (n_pairs,)


# --8<-- [end:dot_products]


# --8<-- [start:saturation]
DIMS = 2 ** np.arange(10)  # d_k = 1, 2, 4, …, 512
N_KEYS = 16  # 키 16개짜리 문장


def mean_max_weight(d_k: int, scaled: bool, n_queries: int = 256, seed: int = 0) -> float:
    """무작위 쿼리마다 가장 큰 softmax 가중치의 평균. 1에 가까우면 포화다.

    >>> for d_k in (1, 16, 512):
    ...     print(d_k, round(mean_max_weight(d_k, False), 2), round(mean_max_weight(d_k, True), 2))
    1 0.24 0.24
    16 0.69 0.25
    512 0.95 0.25
    """
    rng = np.random.default_rng(seed)
    queries = rng.standard_normal((n_queries, d_k))  # (n_queries, d_k)
    keys = rng.standard_normal((N_KEYS, d_k))  # (n_keys, d_k)
    scores = queries @ keys.T  # (n_queries, d_k) @ (d_k, n_keys) -> (n_queries, n_keys)
    if scaled:
        scores = scale(scores, d_k)  # (n_queries, n_keys)
    return float(softmax(scores).max(axis=-1).mean())  # (n_queries,) -> ()


# --8<-- [end:saturation]


# --8<-- [start:padding_batch]
PAD = "<pad>"
BATCH = (SENTENCE, ("The", "cat", "sat"))  # 길이 6과 3


def pad_batch(sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """문장들을 가장 긴 길이에 맞춰 0 벡터로 채운다(패딩). (배치 임베딩, 길이들).

    >>> batch, lengths = pad_batch(BATCH)
    >>> print(batch.shape, lengths)
    (2, 6, 4) [6 3]
    >>> print(batch[1].round(2))  # 두 번째 문장: 뒤 세 칸은 채운 0
    [[0.25 0.   0.   1.  ]
     [0.8  0.6  0.   0.  ]
     [0.2  0.9  0.3  0.  ]
     [0.   0.   0.   0.  ]
     [0.   0.   0.   0.  ]
     [0.   0.   0.   0.  ]]
    """
    n = max(len(words) for words in sentences)
    d_model = len(next(iter(WORD_VECTORS.values())))
    batch = np.zeros((len(sentences), n, d_model))  # (b, n, d_model), 채운 칸은 0
    for i, words in enumerate(sentences):
        batch[i, : len(words)] = embed(words)  # (len, d_model)
    lengths = np.array([len(words) for words in sentences])  # (b,)
    return batch, lengths


def padded_labels(words: Sequence[str], n: int) -> tuple[str, ...]:
    """그림과 출력의 행·열 이름: 단어 뒤에 PAD를 채운다."""
    return tuple(words) + (PAD,) * (n - len(words))


# --8<-- [end:padding_batch]


# --8<-- [start:batch_attention]
def batch_attention(
    batch: np.ndarray, lengths: np.ndarray, use_mask: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """문장마다 투영하고 스케일드 닷프로덕트 어텐션. 마스크는 채운 키를 가린다.

    >>> batch, lengths = pad_batch(BATCH)
    >>> _, weights = batch_attention(batch, lengths)
    >>> print(weights[1].round(2))  # 짧은 문장: 열 = The, cat, sat, <pad> ×3
    [[0.17 0.59 0.24 0.   0.   0.  ]
     [0.12 0.29 0.59 0.   0.   0.  ]
     [0.16 0.27 0.56 0.   0.   0.  ]
     [0.33 0.33 0.33 0.   0.   0.  ]
     [0.33 0.33 0.33 0.   0.   0.  ]
     [0.33 0.33 0.33 0.   0.   0.  ]]
    >>> _, leaky = batch_attention(batch, lengths, use_mask=False)
    >>> print(leaky[1][:3, 3:].sum(axis=-1).round(2))  # 마스크 없이 <pad>로 새는 몫
    [0.25 0.27 0.33]
    """
    n = batch.shape[1]
    outputs, weights = [], []
    for x, length in zip(batch, lengths, strict=True):  # x: (n, d_model)
        queries, keys, values = project(x)  # (n, d_k), (n, d_k), (n, d_v)
        mask = padding_mask(length, n) if use_mask else None  # (1, n): 앞의 length칸만 True
        output, weight = scaled_dot_product_attention(queries, keys, values, mask)
        outputs.append(output)  # (n, d_v)
        weights.append(weight)  # (n, n)
    return np.stack(outputs), np.stack(weights)  # (b, n, d_v), (b, n, n)


# --8<-- [end:batch_attention]


# --8<-- [start:cost]
def attention_cost(n: int, d_k: int = 64, bytes_per_number: int = 4) -> tuple[int, int]:
    """길이 n인 문장, 헤드 하나: (n×n 점수 행렬의 바이트 수, QKᵀ의 곱셈-덧셈 수).

    >>> for n in (512, 1024, 2048, 8192, 32768):
    ...     score_bytes, multiply_adds = attention_cost(n)
    ...     print(f"n={n:>5}: {score_bytes / 2**20:>6,.0f} MiB, {multiply_adds:>14,}")
    n=  512:      1 MiB,     16,777,216
    n= 1024:      4 MiB,     67,108,864
    n= 2048:     16 MiB,    268,435,456
    n= 8192:    256 MiB,  4,294,967,296
    n=32768:  4,096 MiB, 68,719,476,736
    """
    score_bytes = n * n * bytes_per_number  # float32 (n, n) 행렬 하나
    multiply_adds = n * n * d_k  # 칸 n×n개마다 길이 d_k의 내적
    return score_bytes, multiply_adds


# --8<-- [end:cost]


# --8<-- [start:exercise_retarget]
def retarget_query(feature: str, looks_for: str, strength: float = 3.0) -> np.ndarray:
    """W_Q에서 특징 하나가 찾는 키 칸만 바꾼 새 행렬.

    >>> w_q = retarget_query("개체", looks_for="장소")  # 개체 → 장소를 찾는다
    >>> queries, keys, _ = project(embed(SENTENCE), w_q=w_q)
    >>> print(top_keys(attention_scores(queries, keys), SENTENCE))
    ['cat', 'mat', 'mat', 'sat', 'cat', 'sat']
    """
    features = ("개체", "동작", "장소", "기능어")
    w_q = W_Q.copy()  # (d_model, d_k)
    row = np.zeros(len(KEY_FEATURES))  # (d_k,)
    row[KEY_FEATURES.index(looks_for)] = strength
    w_q[features.index(feature)] = row  # 그 특징의 행만 바뀐다
    return w_q


# --8<-- [end:exercise_retarget]


# --8<-- [start:exercise_temperature]
def lesson01_cat_weights(temperature: float) -> np.ndarray:
    """01강의 쿼리 "cat"(투영 없음)을 주어진 온도로 계산한 가중치.

    >>> d_model = embed(SENTENCE).shape[-1]
    >>> print(TEMPERATURE, lesson01_cat_weights(TEMPERATURE).round(2))  # 01강이 고른 온도
    0.5 [0.09 0.42 0.23 0.07 0.09 0.1 ]
    >>> print(np.sqrt(d_model), lesson01_cat_weights(np.sqrt(d_model)).round(2))  # √d_k 규칙
    2.0 [0.15 0.22 0.19 0.14 0.15 0.16]
    """
    words = embed(SENTENCE)  # (6, d_model)
    return lesson01_weights(words[1], words, temperature)  # (6,)


# --8<-- [end:exercise_temperature]


# --8<-- [start:exercise_memory]
def layer_score_bytes(n: int, n_heads: int, batch_size: int = 1) -> int:
    """층 하나에서 모든 헤드, 배치의 모든 문장이 동시에 가진 float32 점수 행렬의 바이트 수.

    >>> print(layer_score_bytes(4096, n_heads=12) / 2**20, "MiB")
    768.0 MiB
    >>> print(layer_score_bytes(4096, n_heads=12, batch_size=8) / 2**30, "GiB")
    6.0 GiB
    """
    score_bytes, _ = attention_cost(n)
    return score_bytes * n_heads * batch_size


# --8<-- [end:exercise_memory]


# Figures of the page, placed there by name with <!-- figure: name -->.


def _lesson01_heatmap() -> Heatmap:
    x = embed(SENTENCE)  # (6, d_model)
    _, weights = attention(x, x, x, TEMPERATURE)  # (6, 6)
    scores = x @ x.T / TEMPERATURE  # (6, d_model) @ (d_model, 6) -> (6, 6)
    return Heatmap(weights, SENTENCE, SENTENCE, scores=scores)


def _projected_heatmap() -> Heatmap:
    _, weights, scaled = sentence_attention(SENTENCE)  # (6, 6), (6, 6)
    return Heatmap(weights, SENTENCE, SENTENCE, scores=scaled)


@figure(
    "self_attention_projected",
    title="투영 전(01강)과 투영 후(02강)의 셀프 어텐션 가중치",
    alt="The cat sat on the mat의 6×6 어텐션 가중치 히트맵 두 장. 왼쪽은 01강처럼 단어 벡터를 "
    "그대로 쿼리와 키로 쓴 것(온도 0.5)으로 대각선이 밝고, 오른쪽은 W_Q, W_K로 투영하고 "
    "√d_k로 나눈 것으로 대각선이 어둡다.",
)
def _self_attention_projected() -> HeatmapGrid:
    return HeatmapGrid(
        (_lesson01_heatmap(), _projected_heatmap()),
        ("01강: Q = K = X, 온도 0.5", "02강: Q = XW_Q, K = XW_K, √d_k로 나눔"),
    )


@figure(
    "self_attention_saturation",
    title="d_k가 커질 때 가장 큰 소프트맥스 가중치의 평균 (키 16개)",
    alt="가로축 d_k(1부터 512까지, 2배 간격), 세로축 가장 큰 가중치의 평균인 꺾은선 그림. "
    "점수를 나누지 않으면 d_k가 커질수록 1에 다가가고(포화), √d_k로 나누면 거의 일정하다.",
)
def _self_attention_saturation() -> LinePlot:
    return LinePlot(
        DIMS,
        (
            Series("나누지 않음", np.array([mean_max_weight(d, False) for d in DIMS])),  # (10,)
            Series("√d_k로 나눔", np.array([mean_max_weight(d, True) for d in DIMS])),  # (10,)
        ),
        x_label="d_k",
        y_label="가장 큰 가중치의 평균",
        log_x=True,
    )


@figure(
    "self_attention_padding",
    title="패딩한 짧은 문장 The cat sat의 가중치: 마스크 없이, 마스크와 함께",
    alt="The cat sat 뒤에 <pad> 세 칸을 채운 6×6 가중치 히트맵 두 장. 왼쪽은 마스크가 없어 "
    "<pad> 열에도 가중치가 가고, 오른쪽은 패딩 마스크로 <pad> 열이 모두 정확히 0이다.",
)
def _self_attention_padding() -> HeatmapGrid:
    batch, lengths = pad_batch(BATCH)  # (2, 6, d_model), (2,)
    n = batch.shape[1]
    labels = padded_labels(BATCH[1], n)
    queries, keys, _ = project(batch[1])  # (n, d_k), (n, d_k)
    scaled = scale(attention_scores(queries, keys), keys.shape[-1])  # (n, n)
    masked = apply_mask(scaled, padding_mask(lengths[1], n))  # (n, n), 가린 칸은 -inf
    _, leaky = batch_attention(batch, lengths, use_mask=False)  # (2, n, n)
    _, weights = batch_attention(batch, lengths)  # (2, n, n)
    return HeatmapGrid(
        (
            Heatmap(leaky[1], labels, labels, scores=scaled),
            Heatmap(weights[1], labels, labels, scores=masked),
        ),
        ("마스크 없음", "패딩 마스크"),
    )


COST_LENGTHS = 2 ** np.arange(10, 18)  # n = 1,024 … 131,072


@figure(
    "self_attention_cost",
    title="문장 길이 n에 따른 메모리: n×n 점수 행렬과 n×d_k 행렬 (헤드 하나, float32)",
    alt="가로축 문장 길이 n(1024부터 131072까지), 세로축 MiB인 로그-로그 꺾은선 그림. "
    "n×n 점수 행렬은 n이 2배가 될 때 4배로, Q·K·V는 2배로 늘어난다.",
)
def _self_attention_cost() -> LinePlot:
    d_k = 64
    scores = np.array([attention_cost(int(n), d_k)[0] for n in COST_LENGTHS]) / 2**20  # (8,) MiB
    qkv = 3 * COST_LENGTHS * d_k * 4 / 2**20  # 세 행렬 (n, d_k), float32
    return LinePlot(
        COST_LENGTHS,
        (Series("점수 행렬 n×n", scores), Series("Q, K, V (n×64 세 개)", qkv)),
        x_label="문장 길이 n",
        y_label="메모리 (MiB)",
        log_x=True,
        log_y=True,
    )
