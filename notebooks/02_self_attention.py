# %% [markdown]
# # 실습: 셀프 어텐션의 수학
#
# [노트북 다운로드 (.ipynb)](../../downloads/02_self_attention.ipynb) ·
# [02강 본문으로](../../02_self_attention/)
#
# 02강의 네 단계 **투영 → QKᵀ → √d_k로 나누기 → 행마다 소프트맥스**를 직접 돌려 봅니다.
# 함수와 투영 행렬은 모두 `snippets/self_attention.py`에서 가져옵니다.

# %%
import numpy as np

from snippets.attention_intuition import SENTENCE, embed
from snippets.core import apply_mask, softmax
from snippets.notebook_helpers import show_heatmap, use_korean_font
from snippets.self_attention import (
    W_K,
    W_Q,
    W_V,
    attention_scores,
    mean_max_weight,
    project,
    row_softmax,
    scale,
    sentence_attention,
)

use_korean_font()
x = embed(SENTENCE)  # (6, 4)
queries, keys, values = project(x)  # (6, 3), (6, 3), (6, 4)
print(x.shape, queries.shape, keys.shape, values.shape)

# %% [markdown]
# ## 실험 1. 본문의 가중치 행렬
#
# `sentence_attention`은 네 단계를 이어서 (출력, 가중치, 나눈 점수)를 돌려줍니다.

# %%
output, weights, scaled = sentence_attention(SENTENCE)
print(weights.round(2))
show_heatmap(weights, SENTENCE, SENTENCE, title="투영한 Q, K의 셀프 어텐션 가중치")

# %% [markdown]
# ## 실험 2. √d_k로 나누지 않으면
#
# 나누지 않은 점수로 소프트맥스를 씌우면 가중치가 더 뾰족해집니다. d_k가 클수록 차이가 커지고,
# 결국 거의 원-핫이 됩니다(포화). 무작위 벡터로 가장 큰 가중치의 평균을 비교해 보세요.

# %%
d_k = keys.shape[-1]
unscaled = row_softmax(attention_scores(queries, keys))  # (6, 6)
print("나눈 경우   cat 행:", weights[1].round(2))
print("나누지 않음 cat 행:", unscaled[1].round(2))
for dim in (4, 64, 512):
    print(
        f"d_k={dim:3d}  나누지 않음 {mean_max_weight(dim, False):.2f}"
        f"  √d_k로 나눔 {mean_max_weight(dim, True):.2f}"
    )

# %% [markdown]
# ## 실험 3. 패딩 마스크
#
# 뒤의 두 단어를 패딩이라고 가정하고 키에서 가려 봅니다. 가린 열의 가중치는 정확히 0이고,
# 나머지 몫이 행마다 다시 합이 1이 되도록 나뉩니다. `visible`을 바꿔 다시 실행해 보세요.

# %%
visible = np.array([True, True, True, True, False, False])  # (n_k,)
masked = softmax(apply_mask(scale(attention_scores(queries, keys), d_k), visible))  # (6, 6)
show_heatmap(masked, SENTENCE, SENTENCE, title="뒤의 두 키를 가린 가중치")
print(masked.sum(axis=1).round(6))

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** 쿼리 "cat"(둘째 행)이 가장 많이 보는 키는 어떤 단어일까요? `answer`에 단어를 적으세요.

# %%
answer = SENTENCE[int(weights[1].argmax())]

# %%
expected = SENTENCE[int(np.argmax(queries[1] @ keys.T))]
assert answer == expected, "아직 아니에요: weights[1]에서 가장 큰 값의 위치를 찾아 보세요."
print("정답입니다!", answer)

# %% [markdown]
# **문제 2.** W_Q, W_K, W_V에는 파라미터(원소)가 모두 몇 개 있을까요?

# %%
answer_params = W_Q.size + W_K.size + W_V.size

# %%
assert np.isclose(answer_params, 4 * 3 + 4 * 3 + 4 * 4), (
    "아직 아니에요: 행렬마다 (d_model × 열 수)이고, W_V는 4×4입니다."
)
print("정답입니다!", answer_params)
