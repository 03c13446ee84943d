"""04강 위치 인코딩과 트랜스포머 블록.

페이지(docs/04_position_and_transformer_block.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
장난감 문장은 "dog bites man"과 "man bites dog"다. 단어 벡터는 손으로 정했고, 투영 행렬과
피드포워드 네트워크의 가중치는 고정 시드의 난수다(학습 전의 모델과 같다).
"""

from dataclasses import dataclass

import numpy as np

from snippets.attention_intuition import embed
from snippets.core import multi_head_attention
from snippets.figures import Heatmap, LinePlot, Series, figure

# fmt: off
# --8<-- [start:toy_sentences]
# 단어마다 특징 네 개의 점수를 손으로 정했다. 칸의 순서는 FEATURES와 같다.
FEATURES = ("동물", "사람", "동작", "생물")
WORD_VECTORS = {
    "dog":   np.array([1.0, 0.0, 0.0, 1.0]),  # 동물이고 살아 있다
    "man":   np.array([0.0, 1.0, 0.0, 1.0]),  # 사람이고 살아 있다
    "bites": np.array([0.0, 0.0, 1.0, 0.0]),  # 동작
}
SENTENCE_A = ("dog", "bites", "man")  # 개가 사람을 문다
SENTENCE_B = ("man", "bites", "dog")  # 사람이 개를 문다: 같은 단어, 다른 순서

D_MODEL, N_HEADS = 4, 2
# 학습 전처럼 무작위로 정한 투영 행렬(표준편차 1/√d_model = 0.5).
# 아래에서 보일 성질은 어떤 가중치에서도 성립한다.
_rng = np.random.default_rng(2017)
W_Q, W_K, W_V, W_O = _rng.normal(0.0, 0.5, size=(4, D_MODEL, D_MODEL))  # 각각 (d_model, d_model)
# --8<-- [end:toy_sentences]
# fmt: on


# --8<-- [start:permutation]
def self_attention(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x의 멀티헤드 셀프 어텐션: 쿼리, 키, 값이 모두 x에서 온다."""
    return multi_head_attention(x, x, W_Q, W_K, W_V, W_O, N_HEADS)  # (n, d_model), (h, n, n)


def outputs_by_word(sentence: tuple[str, ...]) -> dict[str, np.ndarray]:
    """문장을 셀프 어텐션에 넣고, 출력 벡터를 단어 이름으로 찾게 돌려준다.

    >>> a = outputs_by_word(SENTENCE_A)  # dog bites man
    >>> b = outputs_by_word(SENTENCE_B)  # man bites dog
    >>> print(a["dog"].round(2))  # 무는 개
    [ 0.53 -1.27 -0.36  0.87]
    >>> print(b["dog"].round(2))  # 물리는 개: 똑같다
    [ 0.53 -1.27 -0.36  0.87]
    """
    output, _ = self_attention(embed(sentence, WORD_VECTORS))  # (n, d_model)
    return dict(zip(sentence, output, strict=True))


# --8<-- [end:permutation]


# --8<-- [start:positional_encoding]
def positional_encoding(n_positions: int, d_model: int) -> np.ndarray:
    """사인 위치 인코딩: PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i).

    ω_i = 1 / 10000^(2i/d_model). i가 클수록 천천히 돈다 (파장이 길다).

    >>> print(positional_encoding(4, 4).round(2))
    [[ 0.    1.    0.    1.  ]
     [ 0.84  0.54  0.01  1.  ]
     [ 0.91 -0.42  0.02  1.  ]
     [ 0.14 -0.99  0.03  1.  ]]
    """
    if d_model % 2:
        raise ValueError(f"d_model={d_model} must be even: sin and cos come in pairs")
    positions = np.arange(n_positions)[:, np.newaxis]  # (n, 1)
    frequencies = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)  # (d_model/2,)
    angles = positions * frequencies  # (n, 1) * (d_model/2,) -> (n, d_model/2)
    encoding = np.empty((n_positions, d_model))  # (n, d_model)
    encoding[:, 0::2] = np.sin(angles)  # 짝수 차원: sin
    encoding[:, 1::2] = np.cos(angles)  # 홀수 차원: cos
    return encoding


# --8<-- [end:positional_encoding]


# --8<-- [start:shift]
def shift_matrix(k: int, d_model: int) -> np.ndarray:
    """PE(p)에 곱하면 PE(p+k)가 되는 행렬. p와 상관없이 k로만 정해진다.

    (sin, cos) 쌍마다 각도 k·ω_i만큼 돌리는 2×2 회전을 대각선에 놓았다.

    >>> pe = positional_encoding(10, 8)
    >>> shift = shift_matrix(4, 8)
    >>> print(np.allclose(pe[3] @ shift, pe[7]), np.allclose(pe[5] @ shift, pe[9]))
    True True
    """
    frequencies = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)  # (d_model/2,)
    shift = np.zeros((d_model, d_model))  # (d_model, d_model)
    for i, angle in enumerate(k * frequencies):
        cos, sin = np.cos(angle), np.sin(angle)
        # 행 벡터 [sin a, cos a] @ [[cos b, -sin b], [sin b, cos b]] = [sin(a+b), cos(a+b)]
        shift[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[cos, -sin], [sin, cos]]
    return shift


# --8<-- [end:shift]


# --8<-- [start:similarity]
def similarity_by_distance(start: int, distances: np.ndarray, d_model: int) -> np.ndarray:
    """PE(start)와 PE(start+k)의 내적을 거리 k마다. 시작 위치와 상관없다.

    >>> distances = np.array([0, 1, 2, 4, 8, 16, 32])
    >>> print(similarity_by_distance(0, distances, 32).round(2))
    [16.   15.31 13.73 11.66 10.52  7.92  9.63]
    >>> print(similarity_by_distance(20, distances, 32).round(2))
    [16.   15.31 13.73 11.66 10.52  7.92  9.63]
    """
    encoding = positional_encoding(start + int(distances.max()) + 1, d_model)  # (n, d_model)
    return encoding[start + distances] @ encoding[start]  # (n_k, d_model) @ (d_model,) -> (n_k,)


# --8<-- [end:similarity]


# --8<-- [start:add_positions]
def add_positions(x: np.ndarray) -> np.ndarray:
    """토큰 임베딩에 위치 인코딩을 더한다. 모양은 그대로다."""
    n, d_model = x.shape
    return x + positional_encoding(n, d_model)  # (n, d_model) + (n, d_model) -> (n, d_model)


def outputs_with_positions(sentence: tuple[str, ...]) -> dict[str, np.ndarray]:
    """outputs_by_word와 같되, 어텐션 전에 위치 인코딩을 더한다.

    >>> a = outputs_with_positions(SENTENCE_A)  # dog bites man
    >>> b = outputs_with_positions(SENTENCE_B)  # man bites dog
    >>> print(a["dog"].round(2))  # 첫 자리의 개
    [ 1.1  -2.69 -0.75  1.79]
    >>> print(b["dog"].round(2))  # 마지막 자리의 개: 이제 다르다
    [ 1.04 -2.59 -0.72  1.67]
    """
    output, _ = self_attention(add_positions(embed(sentence, WORD_VECTORS)))  # (n, d_model)
    return dict(zip(sentence, output, strict=True))


# --8<-- [end:add_positions]


# --8<-- [start:layer_norm]
def layer_norm(x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """토큰(행)마다 특성의 평균을 0, 분산을 1로 맞춘다.

    실제 모델은 여기에 학습하는 배율 γ와 이동 β를 곱하고 더한다(처음에는 1과 0).

    >>> print(layer_norm(np.array([[1.0, 2.0, 3.0, 6.0]])).round(2))
    [[-1.07 -0.53  0.    1.6 ]]
    """
    mean = x.mean(axis=-1, keepdims=True)  # (n, d_model) -> (n, 1)
    variance = x.var(axis=-1, keepdims=True)  # (n, d_model) -> (n, 1)
    return (x - mean) / np.sqrt(variance + eps)  # (n, d_model) - (n, 1) -> (n, d_model)


# --8<-- [end:layer_norm]


# --8<-- [start:feed_forward]
def feed_forward(
    x: np.ndarray, w_1: np.ndarray, b_1: np.ndarray, w_2: np.ndarray, b_2: np.ndarray
) -> np.ndarray:
    """토큰마다 따로: d_model → d_ff(= 4·d_model) → ReLU → d_model.

    >>> x = np.array([[1.0, -1.0]])
    >>> w_1 = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])  # (2, 8)이 보통이지만 작게
    >>> print(feed_forward(x, w_1, np.zeros(4), w_1.T, np.zeros(2)))  # ReLU가 음수를 지운다
    [[ 1. -1.]]
    """
    hidden = np.maximum(0.0, x @ w_1 + b_1)  # (n, d_model) @ (d_model, d_ff) -> (n, d_ff)
    return hidden @ w_2 + b_2  # (n, d_ff) @ (d_ff, d_model) -> (n, d_model)


# --8<-- [end:feed_forward]


# --8<-- [start:block_weights]
@dataclass(frozen=True)
class BlockWeights:
    """트랜스포머 블록 하나의 파라미터: 어텐션 투영 넷과 피드포워드 네트워크 두 층."""

    w_q: np.ndarray  # (d_model, d_model)
    w_k: np.ndarray  # (d_model, d_model)
    w_v: np.ndarray  # (d_model, d_model)
    w_o: np.ndarray  # (d_model, d_model)
    w_1: np.ndarray  # (d_model, d_ff)
    b_1: np.ndarray  # (d_ff,)
    w_2: np.ndarray  # (d_ff, d_model)
    b_2: np.ndarray  # (d_model,)
    n_heads: int


def toy_block(seed: int = 4) -> BlockWeights:
    """장난감 블록: 위의 투영 행렬에 무작위 피드포워드 네트워크(d_ff = 4·d_model)를 붙였다."""
    rng = np.random.default_rng(seed)
    d_ff = 4 * D_MODEL
    return BlockWeights(
        W_Q, W_K, W_V, W_O,
        w_1=rng.normal(0.0, 1.0 / np.sqrt(D_MODEL), size=(D_MODEL, d_ff)),  # (d_model, d_ff)
        b_1=np.zeros(d_ff),  # (d_ff,)
        w_2=rng.normal(0.0, 1.0 / np.sqrt(d_ff), size=(d_ff, D_MODEL)),  # (d_ff, d_model)
        b_2=np.zeros(D_MODEL),  # (d_model,)
        n_heads=N_HEADS,
    )  # fmt: skip


# --8<-- [end:block_weights]


# --8<-- [start:transformer_block]
def transformer_block(
    x: np.ndarray, block: BlockWeights, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pre-LN 트랜스포머 블록: x + 어텐션(LN(x)), 그다음 x + FFN(LN(x)).

    출력은 입력과 모양이 같아서 블록을 몇 개든 쌓을 수 있다. 어텐션 가중치도 돌려준다.

    >>> x = add_positions(embed(SENTENCE_A, WORD_VECTORS))  # (3, 4)
    >>> output, weights = transformer_block(x, toy_block())
    >>> print(output.shape, weights.shape)
    (3, 4) (2, 3, 3)
    """
    normed = layer_norm(x)  # (n, d_model)
    attended, weights = multi_head_attention(
        normed, normed, block.w_q, block.w_k, block.w_v, block.w_o, block.n_heads, mask
    )  # (n, d_model), (h, n, n)
    x = x + attended  # 잔차 연결: (n, d_model) + (n, d_model)
    x = x + feed_forward(layer_norm(x), block.w_1, block.b_1, block.w_2, block.b_2)  # (n, d_model)
    return x, weights


# --8<-- [end:transformer_block]


# --8<-- [start:word_order]
def word_order_gap(sentence_a: tuple[str, ...], sentence_b: tuple[str, ...], positions: bool):
    """두 문장에서 같은 단어의 블록 출력이 얼마나 다른가 (차이 벡터의 길이).

    >>> print(word_order_gap(SENTENCE_A, SENTENCE_B, positions=False).round(2))
    [0. 0. 0.]
    >>> print(word_order_gap(SENTENCE_A, SENTENCE_B, positions=True).round(2))
    [1.06 1.03 1.39]
    """
    outputs = []
    for sentence in (sentence_a, sentence_b):
        x = embed(sentence, WORD_VECTORS)  # (n, d_model)
        if positions:
            x = add_positions(x)  # (n, d_model)
        output, _ = transformer_block(x, toy_block())  # (n, d_model)
        outputs.append(dict(zip(sentence, output, strict=True)))
    a, b = outputs
    return np.array([np.linalg.norm(a[word] - b[word]) for word in sentence_a])  # (n,)


# --8<-- [end:word_order]


# --8<-- [start:exercises]
def wavelengths(d_model: int) -> np.ndarray:
    """(sin, cos) 쌍마다 한 바퀴 도는 데 걸리는 위치 수: 2π / ω_i.

    >>> waves = wavelengths(512)
    >>> print(len(waves), waves[0].round(2), waves[-1].round())
    256 6.28 60611.0
    """
    frequencies = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)  # (d_model/2,)
    return 2 * np.pi / frequencies  # (d_model/2,)


def count_parameters(d_model: int, d_ff: int) -> dict[str, int]:
    """이 레슨의 transformer_block이 쓰는 파라미터 수 (층 정규화에는 파라미터가 없다).

    >>> counts = count_parameters(512, 2048)  # 원 논문의 크기
    >>> print(counts)
    {'attention': 1048576, 'feed_forward': 2099712, 'total': 3148288}
    """
    attention = 4 * d_model * d_model  # W_Q, W_K, W_V, W_O
    feed_forward = d_model * d_ff + d_ff + d_ff * d_model + d_model  # W_1, b_1, W_2, b_2
    return {"attention": attention, "feed_forward": feed_forward, "total": attention + feed_forward}


# --8<-- [end:exercises]


# Figures of the page, placed there by name with <!-- figure: name -->.

FIGURE_POSITIONS, FIGURE_D_MODEL = 32, 32
FIGURE_DISTANCES = np.arange(0, 65)
SIMILARITY_D_MODELS = (16, 64, 256)


@figure(
    "position_block_encoding",
    title=f"사인 위치 인코딩: 위치 {FIGURE_POSITIONS}개 × 차원 {FIGURE_D_MODEL}개",
    alt=f"위치 0부터 {FIGURE_POSITIONS - 1}까지의 위치 인코딩 행렬 히트맵. "
    "행은 위치, 열은 차원이다. 왼쪽 차원은 위치마다 빠르게 바뀌고, "
    "오른쪽 차원으로 갈수록 천천히 바뀐다.",
)
def _encoding() -> Heatmap:
    return Heatmap(
        positional_encoding(FIGURE_POSITIONS, FIGURE_D_MODEL),
        row_labels=tuple(str(p) for p in range(FIGURE_POSITIONS)),
        col_labels=tuple(str(i) for i in range(FIGURE_D_MODEL)),
        row_title="위치",
        col_title="차원",
        annotate=False,
    )


@figure(
    "position_block_similarity_matrix",
    title="위치 인코딩끼리의 코사인 유사도: 거리가 같으면 값도 같다",
    alt=f"위치 {FIGURE_POSITIONS}개의 위치 인코딩(d_model = {FIGURE_D_MODEL})끼리의 코사인 유사도 "
    "히트맵. 대각선은 1이고, 대각선과 나란한 줄마다 값이 같다.",
)
def _similarity_matrix() -> Heatmap:
    encoding = positional_encoding(FIGURE_POSITIONS, FIGURE_D_MODEL)  # (n, d)
    labels = tuple(str(p) for p in range(FIGURE_POSITIONS))
    return Heatmap(
        encoding @ encoding.T / (FIGURE_D_MODEL / 2),  # (n, d) @ (d, n) -> (n, n), 길이²로 나눔
        row_labels=labels,
        col_labels=labels,
        row_title="위치 p",
        col_title="위치 q",
        annotate=False,
    )


@figure(
    "position_block_similarity_by_distance",
    title="거리 k만큼 떨어진 두 위치 인코딩의 코사인 유사도",
    alt="위치 인코딩 PE(p)와 PE(p+k)의 코사인 유사도를 거리 k에 대해 그린 꺾은선. "
    f"d_model이 {', '.join(map(str, SIMILARITY_D_MODELS))}일 때를 비교한다.",
)
def _similarity_by_distance() -> LinePlot:
    return LinePlot(
        FIGURE_DISTANCES,
        series=tuple(
            Series(f"d_model = {d}", similarity_by_distance(0, FIGURE_DISTANCES, d) / (d / 2))
            for d in SIMILARITY_D_MODELS
        ),
        x_label="거리 k",
        y_label="코사인 유사도",
    )


@figure(
    "position_block_word_order",
    title="dog bites man과 man bites dog: 같은 단어의 블록 출력이 얼마나 다른가",
    alt="단어 dog, bites, man마다 두 문장에서의 트랜스포머 블록 출력 차이(벡터 길이)를 "
    "위치 인코딩이 없을 때와 있을 때 비교한 히트맵.",
)
def _word_order() -> Heatmap:
    gaps = np.stack(
        [word_order_gap(SENTENCE_A, SENTENCE_B, positions=p) for p in (False, True)]
    )  # (2, n_words)
    return Heatmap(
        gaps,
        row_labels=("위치 인코딩 없음", "위치 인코딩 더함"),
        col_labels=SENTENCE_A,
        row_title="입력",
        col_title="단어",
    )
