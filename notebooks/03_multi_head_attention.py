# %% [markdown]
# # 실습: 멀티헤드 어텐션
#
# [노트북 다운로드 (.ipynb)](../../downloads/03_multi_head_attention.ipynb) ·
# [03강 본문으로](../../03_multi_head_attention/)
#
# 03강의 헤드 네 개가 각각 어떤 관계를 보는지 히트맵으로 확인하고, 헤드 수를 바꿔 봅니다.
# 함수와 투영 행렬은 `snippets/multi_head_attention.py`와 `snippets/core.py`에서 가져옵니다.

# %%
import numpy as np

from snippets.core import multi_head_attention
from snippets.multi_head_attention import (
    HEAD_NAMES,
    N_HEADS,
    SENTENCE,
    W_K,
    W_O,
    W_Q,
    W_V,
    embed,
    parameter_count,
    single_head_weights,
)
from snippets.notebook_helpers import show_heatmap, use_korean_font

use_korean_font()
x = embed()  # (6, 8)
output, weights = multi_head_attention(x, x, W_Q, W_K, W_V, W_O, N_HEADS)  # (6, 8), (4, 6, 6)
print(output.shape, weights.shape)

# %% [markdown]
# ## 실험 1. 헤드마다 다른 관계
#
# 헤드마다 가중치 행렬이 하나씩 있습니다. 네 헤드를 차례로 그립니다.

# %%
for head in range(N_HEADS):
    show_heatmap(weights[head], SENTENCE, SENTENCE, title=f"헤드 {head}: {HEAD_NAMES[head]}")

# %% [markdown]
# ## 실험 2. 헤드 하나로 합치면
#
# 같은 W_Q, W_K를 나누지 않고 헤드 하나로 쓰면, 관계들이 한 행의 가중치를 나눠 가집니다.

# %%
single = single_head_weights()  # (6, 6)
print("쿼리 cat:", single[1].round(2))
show_heatmap(single, SENTENCE, SENTENCE, title="헤드 하나 (d_k = 8)")

# %% [markdown]
# ## 실험 3. 헤드 수와 파라미터 수
#
# d_model이 같으면 헤드 수를 바꿔도 파라미터 수는 그대로입니다. 헤드마다 d_head = d_model / h 폭만
# 갖기 때문입니다.

# %%
for n_heads in (1, 2, 4, 8):
    print(n_heads, f"{parameter_count(512, n_heads):,}")

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** d_model = 512, 헤드 8개일 때 d_head는 얼마일까요?

# %%
answer = 512 // 8

# %%
assert np.isclose(answer, 64), "아직 아니에요: d_model을 헤드 수로 나눠 보세요."
print("정답입니다!", answer)

# %% [markdown]
# **문제 2.** 이 레슨의 장난감 모델(d_model = 8, 헤드 4개)에서 W_Q, W_K, W_V, W_O의 원소는 모두
# 몇 개일까요?

# %%
answer_params = parameter_count(8, 4)

# %%
expected_params = sum(w.size for w in (W_Q, W_K, W_V, W_O))
assert np.isclose(answer_params, expected_params), (
    "아직 아니에요: 네 행렬이 모두 8×8입니다. 4 × 8 × 8을 계산해 보세요."
)
print("정답입니다!", answer_params)
