# %% [markdown]
# # 실습: 마스크드 어텐션과 크로스 어텐션
#
# [노트북 다운로드 (.ipynb)](../../downloads/05_masked_and_cross_attention.ipynb) ·
# [05강 본문으로](../../05_masked_and_cross_attention/)
#
# 인과 마스크가 미래를 어떻게 가리는지, 마스크를 빼면 무엇이 달라지는지 확인합니다.
# 함수는 `snippets/masked_and_cross_attention.py`와 `snippets/core.py`에서 가져옵니다.

# %%
import numpy as np

from snippets.attention_intuition import SENTENCE, SOURCE, TARGET, cross_attention_weights
from snippets.core import apply_mask, causal_mask, softmax
from snippets.masked_and_cross_attention import decoder_self_attention, output_change
from snippets.notebook_helpers import show_heatmap, use_korean_font

use_korean_font()

# %% [markdown]
# ## 실험 1. 인과 마스크를 켜고 끄기
#
# `causal`을 `False`로 바꿔 다시 실행해 보세요. 대각선 위쪽(미래)의 가중치가 나타납니다.

# %%
causal = True
_, weights = decoder_self_attention(SENTENCE, causal=causal)  # (6, 6)
print(weights.round(2))
show_heatmap(weights, SENTENCE, SENTENCE, title=f"디코더 셀프 어텐션 (인과 마스크: {causal})")

# %% [markdown]
# ## 실험 2. 미래의 단어를 바꾸면
#
# 마지막 단어만 바꿉니다. 인과 마스크가 있으면 앞 위치의 출력은 하나도 바뀌지 않습니다.

# %%
other = ("The", "cat", "sat", "on", "the", "cat")
print("인과 마스크:", output_change(SENTENCE, other).round(2))
print("마스크 없음:", output_change(SENTENCE, other, causal=False).round(2))

# %% [markdown]
# ## 실험 3. 가린 칸을 0으로 두면 안 되는 이유
#
# 점수를 0으로 두면 그 칸에도 가중치가 남습니다. -inf라야 정확히 0입니다.

# %%
scores = np.array([[1.0, 2.0, 3.0]])
allowed = np.array([[True, True, False]])
print("0으로  :", softmax(np.where(allowed, scores, 0.0)).round(2))
print("-inf로 :", softmax(apply_mask(scores, allowed)).round(2))

# %% [markdown]
# ## 실험 4. 크로스 어텐션
#
# 한국어 단어(쿼리)가 영어 단어(키)를 봅니다. 행과 열의 수가 다를 수 있습니다.

# %%
show_heatmap(cross_attention_weights(), TARGET, SOURCE, title="크로스 어텐션: 한국어 → 영어")

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** 단어 여섯 개의 인과 마스크에서 True(볼 수 있는 칸)는 몇 개일까요?

# %%
answer = causal_mask(6).sum()

# %%
assert np.isclose(answer, 6 * 7 / 2), (
    "아직 아니에요: 첫 행은 1칸, 둘째 행은 2칸 … 여섯째 행은 6칸입니다."
)
print("정답입니다!", int(answer))

# %% [markdown]
# **문제 2.** 인과 마스크를 쓸 때 첫 단어 "The"가 자기 자신에게 주는 가중치는 얼마일까요?

# %%
answer_first = weights[0, 0]

# %%
assert np.isclose(answer_first, 1.0), (
    "아직 아니에요: 첫 단어는 볼 수 있는 키가 자기 자신 하나뿐입니다."
)
print("정답입니다!", float(answer_first))
