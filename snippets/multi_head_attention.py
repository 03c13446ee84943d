"""03강 멀티헤드 어텐션: 헤드마다 다른 부분 공간, 다른 관계.

페이지(docs/03_multi_head_attention.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
장난감 문장 "The cat sat on the mat"에 손으로 정한 특징 6개와 위치 2개를 붙이고,
헤드 4개의 투영 행렬도 손으로 설계했다. 헤드마다 무엇을 보는지 설명할 수 있게 하려는 것이다.
실제 모델은 이 행렬들을 학습한다.
"""

import numpy as np

from snippets.core import (
    merge_heads,
    multi_head_attention,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)
from snippets.figures import Heatmap, HeatmapGrid, LinePlot, Series, figure

# fmt: off
# --8<-- [start:toy_sentence]
SENTENCE = ("The", "cat", "sat", "on", "the", "mat")
# 단어의 특징 6개는 손으로 정했다 (1 = 그렇다, 0 = 아니다).
WORD_FEATURES = ("명사", "동사", "주어", "관사", "기능어", "장소")
WORDS = {
    #       명사 동사 주어 관사 기능어 장소
    "the": (0,   0,   0,   1,   1,    0),
    "cat": (1,   0,   1,   0,   0,    0),  # 앉은 것: 문장의 주어
    "sat": (0,   1,   0,   0,   0,    0),
    "on":  (0,   0,   0,   0,   1,    1),
    "mat": (1,   0,   0,   0,   0,    1),
}
# 위치 i는 45°·i 방향을 가리키는 길이 1의 화살표 (cos, sin) 로 적는다.
ANGLE = np.pi / 4  # 45°
FEATURES = (*WORD_FEATURES, "위치 cos", "위치 sin")  # d_model = 8


def embed(words: tuple[str, ...] = SENTENCE) -> np.ndarray:
    """단어 특징 6개 뒤에 위치 화살표 2개를 붙여 행으로 쌓는다.

    >>> print(embed().round(2))
    [[ 0.    0.    0.    1.    1.    0.    1.    0.  ]
     [ 1.    0.    1.    0.    0.    0.    0.71  0.71]
     [ 0.    1.    0.    0.    0.    0.    0.    1.  ]
     [ 0.    0.    0.    0.    1.    1.   -0.71  0.71]
     [ 0.    0.    0.    1.    1.    0.   -1.    0.  ]
     [ 1.    0.    0.    0.    0.    1.   -0.71 -0.71]]
    """
    features = np.array([WORDS[word.lower()] for word in words], dtype=float)  # (n, 6)
    angles = ANGLE * np.arange(len(words))  # (n,)
    positions = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (n, 2)
    return np.concatenate([features, positions], axis=1)  # (n, 6 + 2) = (n, d_model)


# --8<-- [end:toy_sentence]
# fmt: on


# --8<-- [start:projection_helpers]
D_MODEL, N_HEADS = len(FEATURES), 4
D_HEAD = D_MODEL // N_HEADS  # 8 / 4 = 2
POSITION_STRENGTH = 12.0  # 위치 헤드의 세기: 45° 차이의 코사인 차이(1 - 0.71)가 작아서 크게
RELATION_STRENGTH = 6.0  # 관계 헤드의 세기


def feature(name: str) -> int:
    """특징 이름의 칸 번호."""
    return FEATURES.index(name)


def slice_from(*entries: tuple[str, int, float]) -> np.ndarray:
    """(입력 특징, 헤드 안의 칸, 값) 목록으로 한 헤드의 투영 조각을 만든다."""
    piece = np.zeros((D_MODEL, D_HEAD))  # (d_model, d_head)
    for name, column, value in entries:
        piece[feature(name), column] = value
    return piece


def turn(angle: float) -> np.ndarray:
    """행벡터 p에 오른쪽에서 곱하면 p를 angle만큼 돌리는 2×2 행렬: p @ turn(a)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, s], [-s, c]])  # (2, 2)


def position_slice(matrix: np.ndarray) -> np.ndarray:
    """위치 화살표 (cos, sin) 를 matrix로 바꿔 헤드의 두 칸에 넣는 투영 조각."""
    piece = np.zeros((D_MODEL, D_HEAD))  # (d_model, d_head)
    piece[feature("위치 cos") :, :] = matrix  # (2, 2)
    return piece


# --8<-- [end:projection_helpers]


# --8<-- [start:head_slices]
# 헤드 1 (앞 단어): 쿼리 화살표를 45° 뒤로 돌리면 바로 앞 단어의 키 화살표와 겹친다.
PREVIOUS_Q = position_slice(POSITION_STRENGTH * turn(-ANGLE))
PREVIOUS_K = position_slice(np.eye(2))
# 헤드 2 (자기 자신): 돌리지 않으면 자기 자신의 화살표와 겹친다.
SELF_Q = position_slice(POSITION_STRENGTH * np.eye(2))
SELF_K = position_slice(np.eye(2))
# 헤드 3 (동사 ↔ 명사): 칸 0 = "동사가 주어를 찾는다", 칸 1 = "명사가 동사를 찾는다".
RELATION_Q = slice_from(("동사", 0, RELATION_STRENGTH), ("명사", 1, RELATION_STRENGTH))
RELATION_K = slice_from(("주어", 0, 1.0), ("동사", 1, 1.0))
# 헤드 4 (고르게): 쿼리가 0이면 모든 점수가 0이고, 가중치는 모두 1/n이다.
EVEN_Q = np.zeros((D_MODEL, D_HEAD))
EVEN_K = np.zeros((D_MODEL, D_HEAD))
# --8<-- [end:head_slices]


# --8<-- [start:value_slices]
# 헤드마다 값으로 가져올 특징 두 개. 출력의 칸 이름이 된다.
HEAD_NAMES = ("앞 단어", "자기 자신", "동사↔명사", "고르게")
HEAD_VALUES = (("관사", "명사"), ("명사", "동사"), ("주어", "동사"), ("장소", "기능어"))
VALUE_SLICES = tuple(
    slice_from((first, 0, 1.0), (second, 1, 1.0)) for first, second in HEAD_VALUES
)  # h개의 (d_model, d_head)

# 헤드의 조각을 옆으로 이어 붙이면 d_model × d_model 행렬 하나가 된다.
W_Q = np.hstack([PREVIOUS_Q, SELF_Q, RELATION_Q, EVEN_Q])  # (d_model, h * d_head)
W_K = np.hstack([PREVIOUS_K, SELF_K, RELATION_K, EVEN_K])  # (d_model, h * d_head)
W_V = np.hstack(VALUE_SLICES)  # (d_model, h * d_head)
W_O = np.eye(D_MODEL)  # (d_model, d_model): 이 레슨에서는 이어 붙인 결과를 그대로 본다
OUTPUT_LABELS = tuple(
    f"{head}: {value}"
    for head, values in zip(HEAD_NAMES, HEAD_VALUES, strict=True)
    for value in values
)  # 출력의 d_model개 칸
# --8<-- [end:value_slices]


# --8<-- [start:one_head]
def one_head(
    x: np.ndarray,
    w_q: np.ndarray,
    w_k: np.ndarray,
    w_v: np.ndarray,
    head: int,
    n_heads: int,
) -> tuple[np.ndarray, np.ndarray]:
    """헤드 하나: 투영 행렬에서 자기 몫의 d_head개 열만 써서 어텐션을 한 번 계산한다.

    >>> x = embed()
    >>> output, weights = one_head(x, W_Q, W_K, W_V, head=0, n_heads=N_HEADS)
    >>> print(output.shape, weights.shape)
    (6, 2) (6, 6)
    """
    d_head = w_q.shape[1] // n_heads
    columns = slice(head * d_head, (head + 1) * d_head)  # 이 헤드의 몫
    queries = x @ w_q[:, columns]  # (n, d_model) @ (d_model, d_head) -> (n, d_head)
    keys = x @ w_k[:, columns]  # (n, d_model) @ (d_model, d_head) -> (n, d_head)
    values = x @ w_v[:, columns]  # (n, d_model) @ (d_model, d_head) -> (n, d_head)
    return scaled_dot_product_attention(queries, keys, values)  # (n, d_head), (n, n)


# --8<-- [end:one_head]


# --8<-- [start:shapes]
def shape_tour(x: np.ndarray | None = None) -> None:
    """(n, d_model) → 헤드로 나누기 (h, n, d_head) → 이어 붙이기 (n, d_model).

    >>> shape_tour()
    (6, 8)     X
    (6, 8)     X @ W_Q
    (4, 6, 2)  헤드로 나눔
    (4, 6, 2)  헤드마다 어텐션의 출력
    (6, 8)     이어 붙임
    (6, 8)     @ W_O
    """
    x = embed() if x is None else x  # (n, d_model)
    queries = x @ W_Q  # (n, d_model) @ (d_model, d_model) -> (n, d_model)
    per_head = split_heads(queries, N_HEADS)  # (n, d_model) -> (h, n, d_head)
    outputs = np.stack(
        [one_head(x, W_Q, W_K, W_V, head, N_HEADS)[0] for head in range(N_HEADS)]
    )  # (h, n, d_head)
    concatenated = merge_heads(outputs)  # (h, n, d_head) -> (n, d_model)
    output = concatenated @ W_O  # (n, d_model) @ (d_model, d_model) -> (n, d_model)
    for array, label in [
        (x, "X"),
        (queries, "X @ W_Q"),
        (per_head, "헤드로 나눔"),
        (outputs, "헤드마다 어텐션의 출력"),
        (concatenated, "이어 붙임"),
        (output, "@ W_O"),
    ]:
        print(f"{array.shape!s:10} {label}")


# --8<-- [end:shapes]


# --8<-- [start:head_patterns]
def head_scores(x: np.ndarray, w_q: np.ndarray, w_k: np.ndarray, n_heads: int) -> np.ndarray:
    """헤드마다 소프트맥스 전의 점수 QKᵀ/√d_head. softmax를 씌우면 헤드별 가중치다."""
    queries = split_heads(x @ w_q, n_heads)  # (n, d_model) -> (h, n, d_head)
    keys = split_heads(x @ w_k, n_heads)  # (n, d_model) -> (h, n, d_head)
    d_head = queries.shape[-1]
    return queries @ keys.transpose(0, 2, 1) / np.sqrt(d_head)  # (h, n, d_head) @ (h, d_head, n)


def strongest_keys(weights: np.ndarray, words: tuple[str, ...] = SENTENCE) -> None:
    """헤드마다, 각 쿼리 단어가 가장 큰 가중치를 준 키 단어를 적는다 (같은 값이면 '=').

    >>> x = embed()
    >>> _, weights = multi_head_attention(x, x, W_Q, W_K, W_V, W_O, N_HEADS)
    >>> strongest_keys(weights)
    앞 단어: The→The cat→The sat→cat on→sat the→on mat→the
    자기 자신: The→The cat→cat sat→sat on→on the→the mat→mat
    동사↔명사: The→= cat→sat sat→cat on→= the→= mat→sat
    고르게: The→= cat→= sat→= on→= the→= mat→=
    """
    for name, head_weights in zip(HEAD_NAMES, weights, strict=True):  # (n_q, n_k) 마다
        pairs = []
        for word, row in zip(words, head_weights, strict=True):  # (n_k,) 마다
            even = np.allclose(row, row[0])  # 모든 키에 같은 가중치
            pairs.append(f"{word}→{'=' if even else words[int(row.argmax())]}")
        print(f"{name}: {' '.join(pairs)}")


# --8<-- [end:head_patterns]


# --8<-- [start:single_head]
def single_head_weights(x: np.ndarray | None = None) -> np.ndarray:
    """같은 W_Q, W_K를 나누지 않고 헤드 하나(d_k = 8)로 쓴다. 관계들이 한 행을 나눠 갖는다.

    >>> weights = single_head_weights()
    >>> print(weights[1].round(2))  # 쿼리 "cat": The, cat, sat, on, the, mat
    [0.47 0.47 0.06 0.   0.   0.  ]
    >>> print(weights[5].round(2))  # 쿼리 "mat"
    [0.   0.   0.   0.01 0.5  0.5 ]
    """
    x = embed() if x is None else x  # (n, d_model)
    _, weights = multi_head_attention(x, x, W_Q, W_K, W_V, W_O, n_heads=1)  # (1, n, n)
    return weights[0]  # (n, n)


# --8<-- [end:single_head]


# --8<-- [start:output]
def head_outputs(x: np.ndarray | None = None) -> np.ndarray:
    """이어 붙이고 W_O를 곱한 멀티헤드 어텐션의 출력. 열 = OUTPUT_LABELS.

    >>> output = head_outputs()
    >>> for label, value in zip(OUTPUT_LABELS, output[1]):  # "cat"의 출력
    ...     print(f"{value:.2f}  {label}")
    0.92  앞 단어: 관사
    0.08  앞 단어: 명사
    0.86  자기 자신: 명사
    0.07  자기 자신: 동사
    0.01  동사↔명사: 주어
    0.93  동사↔명사: 동사
    0.33  고르게: 장소
    0.50  고르게: 기능어
    """
    x = embed() if x is None else x  # (n, d_model)
    output, _ = multi_head_attention(x, x, W_Q, W_K, W_V, W_O, N_HEADS)  # (n, d_model)
    return output


# --8<-- [end:output]


# --8<-- [start:parameter_count]
def parameter_count(d_model: int, n_heads: int, bias: bool = False) -> int:
    """멀티헤드 어텐션의 파라미터 수. 헤드 h개가 각각 W_Q, W_K, W_V의 d_model × d_head 조각.

    >>> for n_heads in (1, 2, 4, 8, 16):
    ...     print(n_heads, f"{parameter_count(512, n_heads):,}")
    1 1,048,576
    2 1,048,576
    4 1,048,576
    8 1,048,576
    16 1,048,576
    >>> print(f"{parameter_count(512, 8, bias=True):,}")  # 편향까지: 4·d² + 4·d
    1,050,624
    >>> print(parameter_count(D_MODEL, N_HEADS), sum(w.size for w in (W_Q, W_K, W_V, W_O)))
    256 256
    """
    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
    d_head = d_model // n_heads
    per_head = 3 * d_model * d_head  # W_Q, W_K, W_V에서 이 헤드의 몫
    output = d_model * d_model  # W_O: 이어 붙인 (h·d_head = d_model) → d_model
    biases = 4 * d_model if bias else 0  # Q, K, V, 출력에 d_model개씩
    return n_heads * per_head + output + biases


def full_width_parameter_count(d_model: int, n_heads: int) -> int:
    """비교용: 헤드마다 d_head가 아니라 d_model 폭을 통째로 주면 (W_O는 h·d_model → d_model).

    >>> print(f"{full_width_parameter_count(512, 8):,}")
    8,388,608
    """
    return n_heads * 3 * d_model * d_model + n_heads * d_model * d_model  # 4·h·d²


# --8<-- [end:parameter_count]


# --8<-- [start:batched]
def batched_multi_head_attention(
    x: np.ndarray,
    w_q: np.ndarray,
    w_k: np.ndarray,
    w_v: np.ndarray,
    w_o: np.ndarray,
    n_heads: int,
) -> tuple[np.ndarray, np.ndarray]:
    """헤드를 도는 반복문 없이: 모든 헤드를 (h, n, d_head) 배열 하나로 한꺼번에 계산한다.

    >>> x = embed()
    >>> output, weights = batched_multi_head_attention(x, W_Q, W_K, W_V, W_O, N_HEADS)
    >>> print(np.allclose(output, head_outputs()), weights.shape)
    True (4, 6, 6)
    """
    queries = split_heads(x @ w_q, n_heads)  # 행렬 곱 한 번 (n, d_model) -> (h, n, d_head)
    keys = split_heads(x @ w_k, n_heads)  # (n, d_model) -> (h, n, d_head)
    values = split_heads(x @ w_v, n_heads)  # (n, d_model) -> (h, n, d_head)
    d_head = queries.shape[-1]
    scores = queries @ keys.transpose(0, 2, 1) / np.sqrt(d_head)  # (h, n, d_head) @ (h, d_head, n)
    weights = softmax(scores, axis=-1)  # (h, n, n), 헤드마다 행의 합이 1
    outputs = weights @ values  # (h, n, n) @ (h, n, d_head) -> (h, n, d_head)
    return merge_heads(outputs) @ w_o, weights  # (n, d_model) @ (d_model, d_model), (h, n, n)


# --8<-- [end:batched]


# --8<-- [start:exercises]
def exercise_answers() -> None:
    """연습 문제의 계산.

    >>> d_model, n_heads = 512, 8
    >>> print(d_model // n_heads, f"{d_model * (d_model // n_heads):,}")  # d_head, W_Q 조각 하나
    64 32,768
    >>> n = 1024  # 토큰 수: 헤드마다 n×n 가중치
    >>> print(f"{n * n:,}", f"{n_heads * n * n:,}")  # 헤드 1개, 헤드 8개
    1,048,576 8,388,608
    >>> print(embed()[:, [feature("장소"), feature("기능어")]].mean(axis=0).round(2))
    [0.33 0.5 ]
    >>> next_q = position_slice(POSITION_STRENGTH * turn(+ANGLE))  # 45° 앞으로 돌린다
    >>> _, weights = one_head(embed(), next_q, SELF_K, VALUE_SLICES[0], head=0, n_heads=1)
    >>> print(" ".join(f"{w}→{SENTENCE[j]}" for w, j in zip(SENTENCE, weights.argmax(axis=1))))
    The→cat cat→sat sat→on on→the the→mat mat→mat
    >>> split_heads(embed(), 3)
    Traceback (most recent call last):
        ...
    ValueError: d_model=8 is not divisible by n_heads=3
    """


# --8<-- [end:exercises]


# Figures of the page, placed there by name with <!-- figure: name -->.


def _head_panels() -> tuple[Heatmap, ...]:
    x = embed()  # (n, d_model)
    scores = head_scores(x, W_Q, W_K, N_HEADS)  # (h, n, n)
    _, weights = multi_head_attention(x, x, W_Q, W_K, W_V, W_O, N_HEADS)  # (h, n, n)
    return tuple(
        Heatmap(head_weights, SENTENCE, SENTENCE, scores=head_score)
        for head_weights, head_score in zip(weights, scores, strict=True)
    )


@figure(
    "mha_head_patterns",
    title="같은 문장, 헤드 4개: 헤드마다 보는 곳이 다르다",
    alt="The cat sat on the mat에 대한 헤드 4개의 어텐션 가중치 히트맵. 헤드 1은 앞 단어, "
    "헤드 2는 자기 자신, 헤드 3은 동사에서 주어로, 명사에서 동사로, "
    "헤드 4는 모든 단어를 고르게 본다.",
)
def _mha_head_patterns() -> HeatmapGrid:
    titles = tuple(f"헤드 {i}: {name}" for i, name in enumerate(HEAD_NAMES, 1))
    return HeatmapGrid(_head_panels(), titles, columns=2)


@figure(
    "mha_one_head",
    title="같은 W_Q, W_K를 헤드 하나로 쓰면: 관계들이 한 행을 나눠 갖는다",
    alt="헤드 4개의 투영을 나누지 않고 헤드 하나(d_k = 8)로 계산한 6×6 어텐션 가중치 히트맵.",
)
def _mha_one_head() -> Heatmap:
    x = embed()  # (n, d_model)
    scores = head_scores(x, W_Q, W_K, n_heads=1)[0]  # (n, n)
    return Heatmap(single_head_weights(x), SENTENCE, SENTENCE, scores=scores)


@figure(
    "mha_output",
    title="헤드 4개의 출력을 이어 붙인 결과 (W_O = 항등 행렬)",
    alt="헤드 4개가 가져온 값 두 개씩, 모두 8개의 출력 칸(행)을 단어 6개(열)마다 그린 히트맵.",
)
def _mha_output() -> Heatmap:
    return Heatmap(
        head_outputs().T,  # (d_model, n): 행 = 출력 칸, 열 = 단어
        OUTPUT_LABELS,
        SENTENCE,
        row_title="출력 칸 (헤드: 가져온 특징)",
        col_title="단어 (쿼리)",
    )


PARAMETER_HEADS = np.array([1, 2, 4, 8, 16])
PARAMETER_D_MODEL = 512


@figure(
    "mha_parameter_count",
    title=f"d_model = {PARAMETER_D_MODEL}에서 헤드 수와 파라미터 수",
    alt=f"d_model = {PARAMETER_D_MODEL}일 때 헤드 수 1, 2, 4, 8, 16에 따른 파라미터 수. "
    "d_head = d_model/h로 나누면 헤드 수와 상관없이 같고, 헤드마다 d_model 폭을 주면 헤드 수에 "
    "비례해 늘어난다.",
)
def _mha_parameter_count() -> LinePlot:
    split = [parameter_count(PARAMETER_D_MODEL, int(h)) for h in PARAMETER_HEADS]
    full = [full_width_parameter_count(PARAMETER_D_MODEL, int(h)) for h in PARAMETER_HEADS]
    return LinePlot(
        PARAMETER_HEADS,
        (
            Series("멀티헤드 (d_head = d_model / h)", np.array(split)),
            Series("헤드마다 d_model 폭 (비교용)", np.array(full)),
        ),
        x_label="헤드 수 h",
        y_label="파라미터 수",
        log_x=True,
        log_y=True,
    )
