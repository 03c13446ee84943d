"""여러 레슨이 함께 쓰는 어텐션의 핵심 함수.

softmax, 어텐션 한 번(마스크 포함), 스케일드 닷프로덕트 어텐션, 마스크 만들기,
멀티헤드 어텐션. 레슨마다 이 모듈을 가져다 쓰고, 다시 정의하지 않는다.
"""

import numpy as np


# --8<-- [start:softmax]
def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """점수를 0 이상이고 합이 1인 가중치로 바꾼다.

    >>> scores = np.array([0.2, 1.0, 0.7, 0.1, 0.2, 0.3])
    >>> weights = softmax(scores)
    >>> print(weights.round(2))
    [0.13 0.28 0.21 0.11 0.13 0.14]
    >>> print(weights.sum().round(6))
    1.0
    """
    # 가장 큰 점수를 빼도 결과는 같고, exp가 넘치지 않는다.
    shifted = scores - scores.max(axis=axis, keepdims=True)  # (..., n) - (..., 1) -> (..., n)
    exps = np.exp(shifted)  # (..., n), 모두 0보다 크다
    return exps / exps.sum(axis=axis, keepdims=True)  # (..., n) / (..., 1) -> (..., n)


# --8<-- [end:softmax]


# --8<-- [start:attention]
def attention(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    temperature: float = 1.0,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """쿼리마다 키와의 유사도로 가중치를 정하고, 값을 그 가중치로 섞는다.

    출력과 가중치를 함께 돌려준다. 가중치는 히트맵이 된다.
    ``mask`` 가 False인 (쿼리, 키) 칸은 가중치가 정확히 0이다.

    >>> keys = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> values = np.array([[10.0], [20.0]])
    >>> output, weights = attention(np.array([[2.0, 0.0]]), keys, values)
    >>> print(weights.round(2))
    [[0.88 0.12]]
    >>> print(output.round(1))
    [[11.2]]
    """
    scores = queries @ keys.T / temperature  # (n_q, d) @ (d, n_k) -> (n_q, n_k)
    if mask is not None:
        scores = apply_mask(scores, mask)  # (n_q, n_k), 가린 칸은 -inf
    weights = softmax(scores, axis=-1)  # (n_q, n_k), 행마다 합이 1
    output = weights @ values  # (n_q, n_k) @ (n_k, d_v) -> (n_q, d_v)
    return output, weights


# --8<-- [end:attention]


# --8<-- [start:apply_mask]
def apply_mask(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """mask가 False인 칸의 점수를 -inf로. softmax를 거치면 그 칸의 가중치는 정확히 0이다.

    >>> scores = np.array([[1.0, 2.0, 3.0]])
    >>> print(softmax(apply_mask(scores, np.array([[True, True, False]]))).round(2))
    [[0.27 0.73 0.  ]]
    """
    mask = np.broadcast_to(mask, scores.shape)  # (n_q, n_k)
    if not mask.any(axis=-1).all():
        # exp(-inf) 뿐인 행은 0/0 = nan이 된다: 조용히 퍼지기 전에 멈춘다.
        raise ValueError("every query must be allowed to see at least one key")
    return np.where(mask, scores, -np.inf)  # (n_q, n_k)


# --8<-- [end:apply_mask]


# --8<-- [start:scaled_dot_product_attention]
def scaled_dot_product_attention(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """softmax(QKᵀ/√d_k)V. 01강의 온도를 √d_k로 정한 어텐션이다.

    >>> queries = np.array([[2.0, 0.0, 0.0, 0.0]])  # d_k = 4, √d_k = 2
    >>> keys = np.eye(4)[:2]
    >>> _, weights = scaled_dot_product_attention(queries, keys, np.eye(2))
    >>> print(weights.round(2))  # 점수 [2, 0]을 2로 나눈 [1, 0]의 softmax
    [[0.73 0.27]]
    """
    d_k = queries.shape[-1]
    return attention(queries, keys, values, temperature=np.sqrt(d_k), mask=mask)


# --8<-- [end:scaled_dot_product_attention]


# --8<-- [start:masks]
def causal_mask(n: int) -> np.ndarray:
    """i번째 쿼리는 0…i번째 키만 본다 (미래를 보지 않는다).

    >>> print(causal_mask(3).astype(int))
    [[1 0 0]
     [1 1 0]
     [1 1 1]]
    """
    return np.tril(np.ones((n, n), dtype=bool))  # (n, n), 대각선 아래만 True


def padding_mask(length: int, n: int) -> np.ndarray:
    """길이 n으로 채운(padding) 문장에서 앞의 length개 키만 본다.

    >>> print(padding_mask(2, 4).astype(int))
    [[1 1 0 0]]
    """
    return (np.arange(n) < length)[np.newaxis, :]  # (1, n), 모든 쿼리에 같은 마스크


# --8<-- [end:masks]


# --8<-- [start:heads]
def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(n, d_model) → (n_heads, n, d_head): 특성을 헤드마다 d_head개씩 나눈다.

    >>> print(split_heads(np.arange(8.0).reshape(2, 4), 2)[1])
    [[2. 3.]
     [6. 7.]]
    """
    n, d_model = x.shape
    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
    d_head = d_model // n_heads
    return x.reshape(n, n_heads, d_head).transpose(1, 0, 2)  # (n, h, d_head) -> (h, n, d_head)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(n_heads, n, d_head) → (n, d_model): split_heads를 되돌린다 (concat)."""
    n_heads, n, d_head = x.shape
    return x.transpose(1, 0, 2).reshape(n, n_heads * d_head)  # (n, h, d_head) -> (n, d_model)


# --8<-- [end:heads]


# --8<-- [start:multi_head_attention]
def multi_head_attention(
    queries_in: np.ndarray,
    keys_in: np.ndarray,
    w_q: np.ndarray,
    w_k: np.ndarray,
    w_v: np.ndarray,
    w_o: np.ndarray,
    n_heads: int,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """투영 → 헤드로 나누기 → 헤드마다 어텐션 → 이어 붙이기 → 출력 투영.

    셀프 어텐션이면 ``queries_in`` 과 ``keys_in`` 이 같은 X, 크로스 어텐션이면
    쿼리는 디코더에서, 키와 값은 인코더에서 온다. 출력과 헤드별 가중치를 돌려준다.

    >>> x = np.eye(2, 4)  # 단어 2개, d_model = 4
    >>> w = np.eye(4)
    >>> output, weights = multi_head_attention(x, x, w, w, w, w, n_heads=2)
    >>> print(output.shape, weights.shape)
    (2, 4) (2, 2, 2)
    """
    queries = split_heads(queries_in @ w_q, n_heads)  # (n_q, d_model) -> (h, n_q, d_head)
    keys = split_heads(keys_in @ w_k, n_heads)  # (n_k, d_model) -> (h, n_k, d_head)
    values = split_heads(keys_in @ w_v, n_heads)  # (n_k, d_model) -> (h, n_k, d_head)
    outputs, weights = [], []
    for head in range(n_heads):
        output, weight = scaled_dot_product_attention(
            queries[head], keys[head], values[head], mask
        )  # (n_q, d_head), (n_q, n_k)
        outputs.append(output)
        weights.append(weight)
    concatenated = merge_heads(np.stack(outputs))  # (h, n_q, d_head) -> (n_q, d_model)
    return concatenated @ w_o, np.stack(weights)  # (n_q, d_model), (h, n_q, n_k)


# --8<-- [end:multi_head_attention]
