# %% [markdown]
# # 실습: 위치 인코딩과 트랜스포머 블록
#
# [노트북 다운로드 (.ipynb)](../../downloads/04_position_and_transformer_block.ipynb) ·
# [04강 본문으로](../../04_position_and_transformer_block/)
#
# 04강에서 본 두 가지를 직접 확인합니다. 위치 인코딩이 없으면 셀프 어텐션은 단어의 순서를 모르고,
# 위치 인코딩을 더하면 순서가 출력에 드러납니다.
# 함수는 `snippets/position_and_transformer_block.py`에서 가져옵니다.

# %%
import numpy as np

from snippets.notebook_helpers import show_heatmap, use_korean_font
from snippets.position_and_transformer_block import (
    SENTENCE_A,
    SENTENCE_B,
    outputs_by_word,
    outputs_with_positions,
    positional_encoding,
    similarity_by_distance,
)

use_korean_font()

# %% [markdown]
# ## 실험 1. 순서를 바꿔도 같은 출력
#
# "dog bites man"과 "man bites dog"에서 "dog"의 출력 벡터를 비교합니다.

# %%
a = outputs_by_word(SENTENCE_A)
b = outputs_by_word(SENTENCE_B)
print("무는 개  :", a["dog"].round(2))
print("물리는 개:", b["dog"].round(2))
print("같은가?", np.allclose(a["dog"], b["dog"]))

# %% [markdown]
# ## 실험 2. 위치 인코딩을 더하면
#
# 같은 비교를 위치 인코딩을 더한 뒤에 합니다. 이제 두 "dog"의 출력이 달라집니다.

# %%
a_pos = outputs_with_positions(SENTENCE_A)
b_pos = outputs_with_positions(SENTENCE_B)
gap = np.abs(a_pos["dog"] - b_pos["dog"]).max()
print("무는 개  :", a_pos["dog"].round(2))
print("물리는 개:", b_pos["dog"].round(2))
print("가장 큰 차이:", gap.round(2))

# %% [markdown]
# ## 실험 3. 위치 인코딩 그리기
#
# 행은 위치, 열은 차원입니다. 왼쪽 차원은 빨리 돌고 오른쪽 차원은 천천히 돕니다.
# `n_positions`나 `d_model`(짝수)을 바꿔 보세요. 값이 -1에서 1 사이이므로 0~1로 옮겨 그립니다.

# %%
n_positions, d_model = 8, 8
encoding = positional_encoding(n_positions, d_model)  # (8, 8)
show_heatmap(
    (encoding + 1) / 2,
    [f"위치 {p}" for p in range(n_positions)],
    [f"{i}" for i in range(d_model)],
    title="(위치 인코딩 + 1) / 2",
)

# %% [markdown]
# 거리가 같으면 시작 위치와 상관없이 내적이 같습니다.

# %%
distances = np.array([0, 1, 2, 4, 8])
print(similarity_by_distance(0, distances, 32).round(2))
print(similarity_by_distance(20, distances, 32).round(2))

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** d_model = 4일 때 위치 1의 위치 인코딩에서 첫 번째 값 PE[1, 0]은 얼마일까요?
# (힌트: 첫 차원의 주파수는 1입니다.)

# %%
answer = positional_encoding(2, 4)[1, 0]

# %%
assert np.isclose(answer, np.sin(1.0)), (
    "아직 아니에요: PE[p, 0] = sin(p × 1)입니다. p = 1을 넣어 보세요."
)
print("정답입니다!", round(float(answer), 2))
