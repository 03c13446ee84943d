"""여러 레슨이 함께 쓰는 어텐션의 핵심 함수: softmax와 어텐션 한 번.

레슨마다 이 모듈을 가져다 쓰고, 다시 정의하지 않는다.
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
) -> tuple[np.ndarray, np.ndarray]:
    """쿼리마다 키와의 유사도로 가중치를 정하고, 값을 그 가중치로 섞는다.

    출력과 가중치를 함께 돌려준다. 가중치는 히트맵이 된다.

    >>> keys = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> values = np.array([[10.0], [20.0]])
    >>> output, weights = attention(np.array([[2.0, 0.0]]), keys, values)
    >>> print(weights.round(2))
    [[0.88 0.12]]
    >>> print(output.round(1))
    [[11.2]]
    """
    scores = queries @ keys.T / temperature  # (n_q, d) @ (d, n_k) -> (n_q, n_k)
    weights = softmax(scores, axis=-1)  # (n_q, n_k), 행마다 합이 1
    output = weights @ values  # (n_q, n_k) @ (n_k, d_v) -> (n_q, d_v)
    return output, weights


# --8<-- [end:attention]
