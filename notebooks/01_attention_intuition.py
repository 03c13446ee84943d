# %% [markdown]
# # 실습: 어텐션의 직관적 이해
#
# [노트북 다운로드 (.ipynb)](../../downloads/01_attention_intuition.ipynb) ·
# [01강 본문으로](../../01_attention_intuition/)
#
# 01강의 세 단계 **유사도 → 소프트맥스 → 가중합**을 직접 바꿔 보며 확인합니다.
# 함수와 장난감 벡터는 모두 `snippets/attention_intuition.py`에서 가져오므로, 이 노트북의 숫자는
# 본문의 숫자와 같습니다. 셀을 위에서부터 차례로 실행하세요.

# %%
import numpy as np

from snippets.attention_intuition import (
    SENTENCE,
    TEMPERATURE,
    WORD_VECTORS,
    attention_weights,
    embed,
    self_attention_weights,
    similarity,
    weighted_sum,
)
from snippets.core import softmax
from snippets.notebook_helpers import show_heatmap, use_korean_font

use_korean_font()
words = embed(SENTENCE)  # (6, 4): 단어마다 특징 네 개
print(words.shape)

# %% [markdown]
# ## 실험 1. 쿼리 "cat"의 유사도와 가중치
#
# 쿼리 "cat"을 모든 단어(키)와 내적하고, 본문과 같은 온도로 소프트맥스를 씌웁니다.

# %%
query = words[1]  # "cat"
scores = similarity(query, words)  # (6,)
weights = attention_weights(query, words, TEMPERATURE)  # (6,)
print("유사도:", scores.round(2))
print(f"온도 {TEMPERATURE:g}의 가중치:", weights.round(2))
print("가중치의 합:", weights.sum().round(6))

# %% [markdown]
# ## 실험 2. 온도를 바꾸면
#
# 온도가 낮을수록 가장 큰 점수에 가중치가 몰리고, 높을수록 고르게 퍼집니다.
# `temperatures`에 다른 값(예: `0.1`, `5.0`)을 넣어 다시 실행해 보세요.

# %%
temperatures = (2.0, 1.0, 0.5, 0.25)
rows = np.stack([attention_weights(query, words, t) for t in temperatures])  # (4, 6)
show_heatmap(
    rows,
    [f"온도 {t:g}" for t in temperatures],
    SENTENCE,
    title="쿼리 'cat'의 가중치와 온도",
)

# %% [markdown]
# ## 실험 3. 장난감 벡터를 바꾸면
#
# "mat"의 벡터에 '동작' 특징을 크게 주면 "cat"이 "mat"을 더 많이 볼까요?
# 사전을 복사해 바꾸므로 원래 `WORD_VECTORS`는 그대로입니다.

# %%
changed = dict(WORD_VECTORS)
changed["mat"] = np.array([0.30, 0.90, 1.00, 0.00])  # 동작 0.10 → 0.90
changed_words = embed(SENTENCE, changed)  # (6, 4)
before = attention_weights(query, words, TEMPERATURE)
after = attention_weights(changed_words[1], changed_words, TEMPERATURE)
show_heatmap(
    np.stack([before, after]),
    ["원래 벡터", "mat에 동작 추가"],
    SENTENCE,
    title="쿼리 'cat'의 가중치: 벡터를 바꾸기 전과 후",
)
print("cat의 새 벡터(가중합):", weighted_sum(words, before).round(2))

# %% [markdown]
# ## 실험 4. 문장 전체의 셀프 어텐션
#
# 모든 단어가 쿼리이자 키입니다. 행마다 합이 1입니다.

# %%
matrix = self_attention_weights(SENTENCE)  # (6, 6)
show_heatmap(matrix, SENTENCE, SENTENCE, title=f"셀프 어텐션 가중치 (온도 {TEMPERATURE:g})")
print(matrix.sum(axis=1).round(6))

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** 점수 `[1.0, 2.0, 3.0]`에 소프트맥스를 씌웠을 때 가장 큰 가중치는 얼마일까요?
# `answer`에 직접 계산한 식을 적고 다음 셀로 확인하세요. (지금은 정답 식이 들어 있습니다.)

# %%
answer = softmax(np.array([1.0, 2.0, 3.0])).max()

# %%
expected = np.exp(3) / (np.exp(1) + np.exp(2) + np.exp(3))
assert np.isclose(answer, expected), "아직 아니에요: exp(3)을 세 점수의 exp 합으로 나눠 보세요."
print("정답입니다!", round(float(answer), 4))

# %% [markdown]
# **문제 2.** 온도 0.25에서 쿼리 "cat"이 자기 자신("cat", 두 번째 키)에 주는 가중치는 얼마일까요?

# %%
answer_cat = attention_weights(words[1], words, 0.25)[1]

# %%
expected_cat = softmax(similarity(words[1], words) / 0.25)[1]
assert np.isclose(answer_cat, expected_cat), (
    "아직 아니에요: 유사도를 온도 0.25로 나눈 뒤 소프트맥스를 씌우고, 두 번째 값을 보세요."
)
print("정답입니다!", round(float(answer_cat), 2))
