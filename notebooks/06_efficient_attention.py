# %% [markdown]
# # 실습: 효율적인 어텐션
#
# [노트북 다운로드 (.ipynb)](../../downloads/06_efficient_attention.ipynb) ·
# [06강 본문으로](../../06_efficient_attention/)
#
# 온라인 소프트맥스와 타일링을 직접 돌려 봅니다. 블록 크기를 바꿔도 결과는 기본 구현과 같고,
# 인과 마스크에서는 건너뛰는 타일이 생깁니다.
# 함수는 `snippets/efficient_attention.py`에서 가져옵니다.

# %%
import numpy as np

from snippets.core import causal_mask, scaled_dot_product_attention, softmax
from snippets.efficient_attention import (
    STREAM_SCORES,
    causal_block_count,
    causal_tile_fractions,
    online_softmax,
    online_softmax_steps,
    random_qkv,
    score_matrix_bytes,
    tiled_attention,
)
from snippets.notebook_helpers import show_heatmap, use_korean_font

use_korean_font()

# %% [markdown]
# ## 실험 1. 온라인 소프트맥스
#
# 점수를 조각씩 읽으며 (최댓값 m, 합 ℓ)을 갱신합니다. `chunk_size`를 1, 2, 3으로 바꿔 보세요.
# 마지막 (m, ℓ)은 언제나 같습니다.

# %%
chunk_size = 2
for m, total in online_softmax_steps(STREAM_SCORES, chunk_size):
    print(f"m = {m:.1f}, ℓ = {total:.4f}")
print(online_softmax(STREAM_SCORES, chunk_size).round(3))
print(
    "core.softmax와 같은가?",
    np.allclose(online_softmax(STREAM_SCORES, chunk_size), softmax(STREAM_SCORES)),
)

# %% [markdown]
# ## 실험 2. 블록 크기를 바꿔도 같은 답
#
# `tiled_attention`은 n×n 행렬을 만들지 않고 블록씩 계산합니다. 블록 크기가 n의 약수가 아니어도
# 됩니다.

# %%
n, d = 12, 4
queries, keys, values = random_qkv(n, d)
reference, _ = scaled_dot_product_attention(queries, keys, values, causal_mask(n))
for block in (1, 3, 5, 12):
    tiled = tiled_attention(queries, keys, values, block_q=block, block_k=block, causal=True)
    print(f"블록 {block:2d}: 같은가? {np.allclose(tiled, reference)}")

# %% [markdown]
# ## 실험 3. 인과 마스크에서 건너뛰는 타일
#
# 타일마다 마스크를 통과하는 칸의 비율입니다. 0인 타일은 계산하지 않습니다. `block`을 바꿔 보세요.

# %%
n_tokens, block = 16, 4
fractions = causal_tile_fractions(n_tokens, block)
labels = [f"{start}–{min(start + block, n_tokens) - 1}" for start in range(0, n_tokens, block)]
show_heatmap(fractions, labels, labels, title=f"타일마다 계산하는 칸의 비율 (블록 {block})")
print("(계산하는 타일, 전체 타일):", causal_block_count(n_tokens, block))

# %% [markdown]
# ## 연습 문제
#
# **문제 1.** 토큰 4,096개의 점수 행렬(float32, 4바이트)은 몇 바이트일까요?

# %%
answer = 4096 * 4096 * 4

# %%
assert np.isclose(answer, score_matrix_bytes(4096)), (
    "아직 아니에요: n × n칸에 칸마다 4바이트입니다."
)
print("정답입니다!", f"{answer:,} 바이트")

# %% [markdown]
# **문제 2.** n = 16, 블록 4일 때 인과 마스크에서 계산하는 타일은 몇 개일까요?

# %%
answer_tiles = causal_block_count(16, 4)[0]

# %%
assert np.isclose(answer_tiles, 4 * 5 / 2), (
    "아직 아니에요: 대각선과 그 아래의 타일만 셉니다 (1 + 2 + 3 + 4)."
)
print("정답입니다!", answer_tiles)
