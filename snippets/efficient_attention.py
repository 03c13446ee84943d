"""06강 효율적인 어텐션: 메모리 벽, 온라인 소프트맥스, 타일링, KV 캐시, 측정.

페이지(docs/06_efficient_attention.md)의 코드와 숫자, 그림이 모두 여기서 나온다.
기준(naive) 구현은 snippets/core.py의 scaled_dot_product_attention이다. 이 모듈의 구현은
모두 그것과 같은 값을 내되, n×n 점수 행렬을 한꺼번에 만들지 않는다.

시간 측정은 빌드 때 하지 않는다(빌드마다 값이 달라지면 사이트가 바이트 단위로 같지 않다).
``python -m snippets.efficient_attention`` 으로 한 번 재서 JSON에 적어 두고, 그림은 그 JSON으로
그린다. 측정한 함수의 소스가 바뀌면 테스트가 실패해 다시 재라고 알려 준다.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from snippets import core
from snippets.core import causal_mask, scaled_dot_product_attention
from snippets.figures import Heatmap, LinePlot, Series, figure

# --8<-- [start:memory_wall]
KIB, MIB, GIB, TIB = 2**10, 2**20, 2**30, 2**40


def score_matrix_bytes(n: int, bytes_per_number: int = 4) -> int:
    """헤드 하나, 층 하나의 n×n 점수 행렬이 차지하는 바이트 (float32 = 4, float16 = 2)."""
    return n * n * bytes_per_number


def format_bytes(n_bytes: float) -> str:
    """1024의 거듭제곱 단위로 읽기 쉽게: 4194304 → '4.0 MiB'."""
    for unit, size in (("TiB", TIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes:.0f} B"


def memory_wall_table(
    lengths: tuple[int, ...] = (1024, 4096, 16384, 65536, 131072), d_head: int = 128
) -> str:
    """길이 n마다 점수 행렬(float32, float16)과 Q·K·V 세 행렬(float32)의 크기.

    >>> print(memory_wall_table())
          n   scores fp32   scores fp16   Q,K,V fp32
      1,024       4.0 MiB       2.0 MiB      1.5 MiB
      4,096      64.0 MiB      32.0 MiB      6.0 MiB
     16,384       1.0 GiB     512.0 MiB     24.0 MiB
     65,536      16.0 GiB       8.0 GiB     96.0 MiB
    131,072      64.0 GiB      32.0 GiB    192.0 MiB
    >>> print(format_bytes(32 * score_matrix_bytes(131072, 2)))  # 헤드 32개 (설명용 설정)
    1.0 TiB
    """
    lines = [f"{'n':>7}   {'scores fp32':>11}   {'scores fp16':>11}   {'Q,K,V fp32':>10}"]
    for n in lengths:
        fp32 = format_bytes(score_matrix_bytes(n, 4))  # n × n × 4 바이트
        fp16 = format_bytes(score_matrix_bytes(n, 2))  # n × n × 2 바이트
        qkv = format_bytes(3 * n * d_head * 4)  # (n, d_head) 행렬 세 개
        lines.append(f"{n:>7,}   {fp32:>11}   {fp16:>11}   {qkv:>10}")
    return "\n".join(lines)


# --8<-- [end:memory_wall]


# --8<-- [start:online_softmax]
# 점수 6개를 2개씩 세 조각으로 받는다. 조각마다 최댓값이 커지게 골라, 매번 다시 맞춘다.
STREAM_SCORES = np.array([1.0, 2.0, 0.5, 3.0, 2.5, 4.0])


def online_softmax_steps(scores: np.ndarray, chunk_size: int) -> list[tuple[float, float]]:
    """점수를 조각씩 읽으며 (지금까지의 최댓값 m, 지금까지의 합 ℓ)을 갱신한다.

    마지막 (m, ℓ)이 softmax의 정규화 값이다: softmax(s)_i = exp(s_i − m) / ℓ.

    >>> for m, total in online_softmax_steps(STREAM_SCORES, chunk_size=2):
    ...     print(m, round(total, 4))
    2.0 1.3679
    3.0 1.5853
    4.0 1.8063
    >>> print(np.exp(STREAM_SCORES - STREAM_SCORES.max()).sum().round(4))  # 한 번에 계산
    1.8063
    """
    m, total = -np.inf, 0.0  # 아직 아무것도 보지 않았다
    steps = []
    for start in range(0, len(scores), chunk_size):
        chunk = scores[start : start + chunk_size]  # (c,)
        m_new = max(m, float(chunk.max()))
        # 예전 합은 exp(s − m)로 쌓였다. exp(m − m_new)를 곱하면 exp(s − m_new)의 합이 된다.
        total = total * np.exp(m - m_new) + float(np.exp(chunk - m_new).sum())  # (c,) -> ()
        m = m_new
        steps.append((m, float(total)))
    return steps


def online_softmax(scores: np.ndarray, chunk_size: int) -> np.ndarray:
    """조각씩 구한 (m, ℓ)로 softmax를 완성한다. 결과는 core.softmax와 같다.

    >>> print(online_softmax(STREAM_SCORES, chunk_size=2).round(3))
    [0.028 0.075 0.017 0.204 0.124 0.554]
    >>> print(np.allclose(online_softmax(STREAM_SCORES, 2), core.softmax(STREAM_SCORES)))
    True
    """
    m, total = online_softmax_steps(scores, chunk_size)[-1]
    return np.exp(scores - m) / total  # (n,)


# --8<-- [end:online_softmax]


# --8<-- [start:merge_normalisers]
def merge_normalisers(
    first: tuple[float, float], second: tuple[float, float]
) -> tuple[float, float]:
    """두 조각의 (m, ℓ)을 하나로 합친다. 조각을 어떤 순서로 나눠도 결과가 같다.

    >>> m, total = merge_normalisers((2.0, 1 + np.exp(-1.0)), (3.0, 1.0))  # [1, 2]와 [3]
    >>> print(m, round(total, 4))
    3.0 1.5032
    >>> print(np.exp(np.array([1.0, 2.0, 3.0]) - 3.0).sum().round(4))
    1.5032
    """
    (m_a, total_a), (m_b, total_b) = first, second
    m = max(m_a, m_b)
    return m, total_a * float(np.exp(m_a - m)) + total_b * float(np.exp(m_b - m))


# --8<-- [end:merge_normalisers]


# --8<-- [start:tiled_attention]
def key_block_starts(q_start: int, q_stop: int, n_k: int, block_k: int, causal: bool) -> range:
    """쿼리 q_start…q_stop−1이 볼 키 블록의 시작 위치들.

    causal이면 쿼리 i는 키 0…i만 보므로, q_stop 이후에서 시작하는 블록(모두 미래)은 건너뛴다.

    >>> print(list(key_block_starts(4, 8, n_k=16, block_k=4, causal=True)))
    [0, 4]
    """
    stop = min(n_k, q_stop) if causal else n_k
    return range(0, stop, block_k)


def tiled_attention(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    block_q: int = 64,
    block_k: int = 64,
    causal: bool = False,
) -> np.ndarray:
    """softmax(QKᵀ/√d_k)V를 블록(타일)씩 계산한다. n×n 점수 행렬은 만들지 않는다.

    쿼리 행마다 최댓값 m, 합 ℓ, 아직 나누지 않은 출력 acc를 들고 키 블록을 차례로 읽는다.
    한 번에 메모리에 있는 점수는 (block_q, block_k) 타일 하나뿐이다.
    """
    n_q, d_k = queries.shape
    n_k, d_v = values.shape
    output = np.empty((n_q, d_v))  # (n_q, d_v)
    for q_start in range(0, n_q, block_q):
        q_stop = min(q_start + block_q, n_q)
        q = queries[q_start:q_stop]  # (b_q, d_k)
        m = np.full(q_stop - q_start, -np.inf)  # (b_q,) 지금까지의 최댓값
        total = np.zeros(q_stop - q_start)  # (b_q,) 지금까지의 exp 합 ℓ
        acc = np.zeros((q_stop - q_start, d_v))  # (b_q, d_v) 나누기 전의 가중합
        for k_start in key_block_starts(q_start, q_stop, n_k, block_k, causal):
            k = keys[k_start : k_start + block_k]  # (b_k, d_k), 마지막 블록은 작을 수 있다
            v = values[k_start : k_start + block_k]  # (b_k, d_v)
            scores = q @ k.T / np.sqrt(d_k)  # (b_q, d_k) @ (d_k, b_k) -> (b_q, b_k)
            if causal:
                rows = np.arange(q_start, q_stop)[:, np.newaxis]  # (b_q, 1)
                cols = np.arange(k_start, k_start + len(k))[np.newaxis, :]  # (1, b_k)
                scores = np.where(cols <= rows, scores, -np.inf)  # (b_q, b_k), 미래는 -inf
            m_new = np.maximum(m, scores.max(axis=1))  # (b_q,)
            rescale = np.exp(m - m_new)  # (b_q,), 첫 블록에서는 exp(-inf) = 0
            weights = np.exp(scores - m_new[:, np.newaxis])  # (b_q, b_k), 나누기 전
            total = total * rescale + weights.sum(axis=1)  # (b_q,)
            acc = acc * rescale[:, np.newaxis] + weights @ v  # (b_q, d_v)
            m = m_new
        output[q_start:q_stop] = acc / total[:, np.newaxis]  # (b_q, d_v) / (b_q, 1)
    return output


# --8<-- [end:tiled_attention]


# --8<-- [start:tiled_check]
def random_qkv(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """시험용 무작위 쿼리·키·값 (n, d). 뜻은 없고, 두 구현이 같은 값을 내는지만 본다."""
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal((n, d)) for _ in range(3))  # 세 개의 (n, d)


def tiled_matches_naive(n: int = 10, d: int = 4, block: int = 3) -> tuple[bool, bool]:
    """블록 3은 10을 나누지 못한다. 그래도 기본 구현과 같다 (인과 마스크가 있어도).

    >>> print(tiled_matches_naive())
    (True, True)
    """
    queries, keys, values = random_qkv(n, d)  # (n, d) 세 개
    naive, _ = scaled_dot_product_attention(queries, keys, values)  # (n, d)
    tiled = tiled_attention(queries, keys, values, block, block)  # (n, d)
    naive_causal, _ = scaled_dot_product_attention(queries, keys, values, causal_mask(n))
    tiled_causal = tiled_attention(queries, keys, values, block, block, causal=True)
    return bool(np.allclose(naive, tiled)), bool(np.allclose(naive_causal, tiled_causal))


# --8<-- [end:tiled_check]


# --8<-- [start:causal_tiles]
def causal_tile_fractions(n: int, block: int) -> np.ndarray:
    """타일마다 인과 마스크를 통과하는 칸의 비율. 0이면 tiled_attention이 건너뛰는 타일.

    >>> print(causal_tile_fractions(16, 4))
    [[0.625 0.    0.    0.   ]
     [1.    0.625 0.    0.   ]
     [1.    1.    0.625 0.   ]
     [1.    1.    1.    0.625]]
    """
    n_tiles = -(-n // block)  # 올림 나눗셈: 마지막 타일은 작을 수 있다
    mask = causal_mask(n)  # (n, n)
    fractions = np.zeros((n_tiles, n_tiles))  # (타일 행, 타일 열)
    for row, q_start in enumerate(range(0, n, block)):
        q_stop = min(q_start + block, n)
        for k_start in key_block_starts(q_start, q_stop, n, block, causal=True):
            tile = mask[q_start:q_stop, k_start : k_start + block]  # (b_q, b_k)
            fractions[row, k_start // block] = tile.mean()
    return fractions


def causal_block_count(n: int, block: int) -> tuple[int, int]:
    """(인과 마스크에서 계산하는 타일 수, 전체 타일 수).

    >>> print(causal_block_count(16, 4))
    (10, 16)
    """
    fractions = causal_tile_fractions(n, block)  # (타일 행, 타일 열)
    return int((fractions > 0).sum()), fractions.size


# --8<-- [end:causal_tiles]


# --8<-- [start:kv_cache]
class KVCache:
    """자기회귀 디코딩용: 지금까지 나온 토큰의 키와 값을 쌓아 두는 캐시 (헤드 하나, 층 하나)."""

    def __init__(self, capacity: int, d_k: int, d_v: int):
        self.keys = np.zeros((capacity, d_k))  # (capacity, d_k), 앞의 length개만 쓴다
        self.values = np.zeros((capacity, d_v))  # (capacity, d_v)
        self.length = 0
        self.scores_computed = 0  # 지금까지 계산한 (쿼리, 키) 점수의 수

    def step(self, query: np.ndarray, key: np.ndarray, value: np.ndarray) -> np.ndarray:
        """새 토큰의 키와 값을 붙이고, 새 쿼리 하나로 캐시 전체에 어텐션한다."""
        self.keys[self.length] = key  # (d_k,)
        self.values[self.length] = value  # (d_v,)
        self.length += 1
        output, _ = scaled_dot_product_attention(
            query[np.newaxis, :],  # (1, d_k)
            self.keys[: self.length],  # (t, d_k)
            self.values[: self.length],  # (t, d_v)
        )  # (1, d_v); 캐시에는 과거와 현재만 있으니 마스크가 필요 없다
        self.scores_computed += self.length
        return output[0]  # (d_v,)


def decode_with_cache(queries: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """토큰을 하나씩 받으며 출력을 하나씩 만든다. 행 t는 토큰 0…t만 보고 만든 출력이다.

    >>> queries, keys, values = random_qkv(6, 4)
    >>> step_by_step = decode_with_cache(queries, keys, values)
    >>> full, _ = scaled_dot_product_attention(queries, keys, values, causal_mask(6))
    >>> print(np.allclose(step_by_step, full, rtol=1e-12, atol=1e-12))
    True
    """
    cache = KVCache(len(queries), keys.shape[1], values.shape[1])
    outputs = [cache.step(q, k, v) for q, k, v in zip(queries, keys, values, strict=True)]
    return np.stack(outputs)  # (n, d_v)


# --8<-- [end:kv_cache]


# --8<-- [start:decoding_work]
def decoding_score_counts(n: int) -> tuple[int, int]:
    """n개 토큰을 하나씩 만들 때 계산하는 점수의 수: (매번 처음부터, KV 캐시).

    캐시가 없으면 t번째 토큰에서 t×t 점수 행렬 전체를, 있으면 새 쿼리의 t개 점수만 계산한다.

    >>> without, with_cache = decoding_score_counts(1024)
    >>> print(f"{without:,} {with_cache:,} {without / with_cache:.0f}배")
    358,438,400 524,800 683배
    """
    without = sum(t * t for t in range(1, n + 1))  # n(n+1)(2n+1)/6
    with_cache = sum(range(1, n + 1))  # n(n+1)/2
    return without, with_cache


def kv_cache_bytes(n: int, d_head: int, n_heads: int, n_layers: int, bytes_per_number: int) -> int:
    """KV 캐시의 크기: 층마다, 헤드마다 (n, d_head)의 키와 값.

    >>> print(format_bytes(kv_cache_bytes(131072, 128, 1, 1, 2)))  # 헤드 하나, 층 하나, float16
    64.0 MiB
    """
    return 2 * n * d_head * n_heads * n_layers * bytes_per_number


# --8<-- [end:decoding_work]


# --8<-- [start:peak_memory]
def peak_memory_bytes(function: Callable, *args, **kwargs) -> int:
    """함수가 실행되는 동안 새로 잡은 메모리의 최댓값 (numpy 배열 포함, tracemalloc).

    한 번 먼저 실행해 파이썬과 numpy의 작은 캐시를 채운 뒤 잰다. 그래야 값이 바이트까지 매번 같다.
    """
    function(*args, **kwargs)  # 준비 운동: 재지 않는다
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        function(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return peak - baseline


MEMORY_LENGTHS = (64, 128, 256, 512, 1024)
D_HEAD = 64  # 측정에 쓰는 헤드 차원


def naive_attention(queries: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """기준 구현: n×n 가중치를 한꺼번에 만든다 (core.scaled_dot_product_attention)."""
    output, _ = scaled_dot_product_attention(queries, keys, values)  # (n, d_v), (n, n)
    return output


def memory_curve(block: int | None, lengths: tuple[int, ...] = MEMORY_LENGTHS) -> np.ndarray:
    """n마다 최대 메모리(MiB). block이 None이면 기본 구현, 아니면 그 블록 크기의 타일링.

    >>> print(memory_curve(None, (512, 1024)).round(2))  # 기본 구현
    [ 8.07 32.07]
    >>> print(memory_curve(64, (512, 1024)).round(2))  # 타일링, 블록 64
    [0.44 0.69]
    """
    peaks = []
    for n in lengths:
        queries, keys, values = random_qkv(n, D_HEAD)  # (n, d) 세 개: 측정 전에 만든다
        if block is None:
            peaks.append(peak_memory_bytes(naive_attention, queries, keys, values))
        else:
            peaks.append(peak_memory_bytes(tiled_attention, queries, keys, values, block, block))
    return np.array(peaks) / MIB  # (len(lengths),)


# --8<-- [end:peak_memory]


# --8<-- [start:timings]
TIMINGS_PATH = Path(__file__).with_name("efficient_attention_timings.json")
TIMING_LENGTHS = (128, 256, 512, 1024, 2048, 4096)
TIMING_BLOCKS = (64, 256)
TIMING_REPEATS = 7
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def median_seconds(function: Callable, *args, repeats: int = TIMING_REPEATS) -> float:
    """여러 번 재서 가운데 값(중앙값)을 쓴다. 한 번의 튀는 값에 흔들리지 않는다."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_timings(lengths: tuple[int, ...] = TIMING_LENGTHS) -> dict:
    """n마다 기본 구현과 타일링의 실행 시간(초). 어느 기계에서 쟀는지도 함께 적는다."""
    seconds = {"naive": []} | {f"tiled_{block}": [] for block in TIMING_BLOCKS}
    for n in lengths:
        queries, keys, values = random_qkv(n, D_HEAD)  # (n, d) 세 개
        seconds["naive"].append(median_seconds(naive_attention, queries, keys, values))
        for block in TIMING_BLOCKS:
            tiled = median_seconds(tiled_attention, queries, keys, values, block, block)
            seconds[f"tiled_{block}"].append(tiled)
    # Peak memory is measured here too, not during the build: tracemalloc's peak shifts by a few
    # bytes with what the process ran before, and a build must give the same bytes every time.
    peak_mib = {"naive": memory_curve(None)} | {
        f"tiled_{block}": memory_curve(block) for block in TIMING_BLOCKS
    }
    return {
        "lengths": list(lengths),
        "d_head": D_HEAD,
        "repeats": TIMING_REPEATS,
        "seconds": {name: [float(f"{s:.4g}") for s in times] for name, times in seconds.items()},
        "memory_lengths": list(MEMORY_LENGTHS),
        "peak_mib": {name: [round(float(m), 4) for m in mib] for name, mib in peak_mib.items()},
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "blas_threads": {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES},
        },
        "source_sha256": measured_source_hash(),
    }


# --8<-- [end:timings]

# Everything whose code decides the timings: if any of it changes, the JSON is stale.
MEASURED_FUNCTIONS = (
    core.softmax,
    core.attention,
    core.scaled_dot_product_attention,
    naive_attention,
    tiled_attention,
    key_block_starts,
    random_qkv,
    median_seconds,
    measure_timings,
    peak_memory_bytes,
    memory_curve,
)


def measured_source_hash() -> str:
    """측정한 함수들의 소스 코드 SHA-256. 코드가 바뀌면 바뀐다."""
    digest = hashlib.sha256()
    for function in MEASURED_FUNCTIONS:
        digest.update(inspect.getsource(function).encode())
    digest.update(repr((TIMING_LENGTHS, TIMING_BLOCKS, TIMING_REPEATS, D_HEAD)).encode())
    return digest.hexdigest()


def load_timings(path: Path = TIMINGS_PATH) -> dict:
    """저장해 둔 측정 결과. 그림과 페이지의 문장은 이 값으로 만든다."""
    return json.loads(path.read_text(encoding="utf-8"))


# --8<-- [start:timing_note]
def timing_note(timings: dict) -> str:
    """페이지에 적는 측정 환경과 결과 한 문장 (JSON에서 만든다).

    >>> example = {
    ...     "lengths": [1024], "repeats": 7,
    ...     "seconds": {"naive": [0.01], "tiled_64": [0.08], "tiled_256": [0.005]},
    ...     "machine": {"cpu_count": 8, "platform": "Linux-x86_64", "numpy": "2.0.0"},
    ... }  # 설명용 값
    >>> print(timing_note(example))
    시간은 CPU 코어 8개, Linux-x86_64 기계에서 numpy 2.0.0으로 7번씩 잰 중앙값입니다. n = 1,024에서 기본 구현은 10.0 ms, 타일링은 블록 64일 때 80.0 ms(기본 구현의 8.00배), 블록 256일 때 5.0 ms(0.50배)가 걸렸습니다.
    """  # noqa: E501
    machine, seconds = timings["machine"], timings["seconds"]
    blas = machine.get("blas_threads", {}).get("OPENBLAS_NUM_THREADS")
    threads = f"(BLAS 스레드 {blas}개)" if blas else ""
    naive = seconds["naive"][-1]
    tiled = [
        f"블록 {name.split('_')[1]}일 때 {times[-1] * 1000:.1f} ms"
        f"({'기본 구현의 ' if index == 0 else ''}{times[-1] / naive:.2f}배)"
        for index, (name, times) in enumerate(
            (name, times) for name, times in seconds.items() if name.startswith("tiled_")
        )
    ]
    return (
        f"시간은 CPU 코어 {machine['cpu_count']}개, {machine['platform']} 기계에서 "
        f"numpy {machine['numpy']}{threads}으로 {timings['repeats']}번씩 잰 중앙값입니다. "
        f"n = {timings['lengths'][-1]:,}에서 기본 구현은 {naive * 1000:.1f} ms, "
        f"타일링은 {', '.join(tiled)}가 걸렸습니다."
    )


# --8<-- [end:timing_note]


# --8<-- [start:exercise_memory]
def exercise_memory() -> str:
    """연습 1: n = 8192, float16, 헤드 하나의 점수 행렬.

    >>> print(exercise_memory())
    128.0 MiB
    """
    return format_bytes(score_matrix_bytes(8192, 2))


# --8<-- [end:exercise_memory]


# --8<-- [start:exercise_merge]
def exercise_merge() -> tuple[float, float]:
    """연습 2: 조각 [1, 2]의 (m, ℓ) = (2, 1 + e⁻¹)과 조각 [3]의 (3, 1)을 합친다.

    >>> m, total = exercise_merge()
    >>> print(m, round(total, 4))
    3.0 1.5032
    """
    return merge_normalisers((2.0, 1 + float(np.exp(-1.0))), (3.0, 1.0))


# --8<-- [end:exercise_merge]


# --8<-- [start:exercise_tiles]
def exercise_tiles() -> tuple[int, int]:
    """연습 3: n = 4096, 블록 128, 인과 마스크에서 계산하는 타일 수.

    >>> computed, tiles = exercise_tiles()
    >>> print(computed, tiles, f"{computed / tiles:.1%}")
    528 1024 51.6%
    """
    return causal_block_count(4096, 128)


# --8<-- [end:exercise_tiles]


# --8<-- [start:exercise_kv_cache]
def exercise_kv_cache() -> str:
    """연습 4: 32층 × 헤드 32개(설명용 설정), d_head = 128, float16, 토큰 4096개의 KV 캐시.

    >>> print(exercise_kv_cache())
    2.0 GiB
    """
    return format_bytes(kv_cache_bytes(4096, 128, n_heads=32, n_layers=32, bytes_per_number=2))


# --8<-- [end:exercise_kv_cache]


# Figures of the page, placed there by name with <!-- figure: name -->.


@figure(
    "efficient_online_softmax_steps",
    title="온라인 소프트맥스: 조각을 하나씩 읽을 때마다의 가중치 추정",
    alt="점수 1, 2, 0.5, 3, 2.5, 4를 두 개씩 읽으며, 지금까지의 최댓값과 합으로 계산한 "
    "가중치를 단계마다 한 행씩 그린 히트맵. 아직 읽지 않은 점수의 칸은 0이고, 마지막 행은 "
    "소프트맥스와 같다.",
)
def _online_softmax_steps() -> Heatmap:
    n = len(STREAM_SCORES)
    rows = []
    for index, (m, total) in enumerate(online_softmax_steps(STREAM_SCORES, 2)):
        seen = np.arange(n) < 2 * (index + 1)  # (n,) 지금까지 읽은 칸
        rows.append(np.where(seen, np.exp(STREAM_SCORES - m) / total, 0.0))  # (n,)
    return Heatmap(
        np.stack(rows),  # (3 단계, n)
        row_labels=("조각 1 뒤", "조각 2 뒤", "조각 3 뒤"),
        col_labels=tuple(f"s={s:g}" for s in STREAM_SCORES),
        row_title="읽은 조각",
        col_title="점수",
    )


@figure(
    "efficient_causal_tiles",
    title="인과 마스크가 있을 때 타일마다 쓰이는 칸의 비율 (n = 16, 블록 4)",
    alt="16×16 점수 행렬을 4×4 타일 16개로 나눈 히트맵. 대각선 아래 타일은 칸이 모두 쓰이고(1), "
    "대각선 타일은 일부만 쓰이며, 대각선 위 타일(0)은 계산하지 않고 건너뛴다.",
)
def _causal_tiles() -> Heatmap:
    fractions = causal_tile_fractions(16, 4)  # (4, 4)
    labels = tuple(f"{start}–{start + 3}" for start in range(0, 16, 4))
    return Heatmap(
        fractions,
        row_labels=labels,
        col_labels=labels,
        row_title="쿼리 블록",
        col_title="키 블록",
    )


@figure(
    "efficient_peak_memory",
    title="길이 n에 따른 최대 메모리 (tracemalloc으로 잰 저장값, float64, d = 64)",
    alt=f"가로축은 길이 n({MEMORY_LENGTHS[0]}부터 {MEMORY_LENGTHS[-1]}까지, 로그), 세로축은 "
    "최대 메모리 MiB(로그). n이 2배가 될 때 기본 구현은 약 4배로, 타일링은 2배보다 적게 늘어난다.",
)
def _peak_memory() -> LinePlot:
    timings = load_timings()
    peak_mib = timings["peak_mib"]
    return LinePlot(
        np.array(timings["memory_lengths"]),
        (
            Series("기본 구현 (n×n 행렬)", np.array(peak_mib["naive"])),
            Series("타일링, 블록 64", np.array(peak_mib["tiled_64"])),
            Series("타일링, 블록 256", np.array(peak_mib["tiled_256"])),
        ),
        x_label="길이 n",
        y_label="최대 메모리 (MiB)",
        log_x=True,
        log_y=True,
    )


@figure(
    "efficient_timings",
    title="길이 n에 따른 실행 시간 (저장해 둔 측정값, numpy, CPU)",
    alt="가로축은 길이 n(로그), 세로축은 실행 시간 ms(로그). 기본 구현과 블록 64, 256의 타일링을 "
    "비교한다. 시간은 빌드 때 잰 것이 아니라 snippets/efficient_attention_timings.json에 적힌 기계 "
    "한 대에서 잰 값이다.",
)
def _timings() -> LinePlot:
    timings = load_timings()
    seconds = timings["seconds"]
    series = [Series("기본 구현 (n×n 행렬)", np.array(seconds["naive"]) * 1000)]
    for block in TIMING_BLOCKS:
        series.append(Series(f"타일링, 블록 {block}", np.array(seconds[f"tiled_{block}"]) * 1000))
    return LinePlot(
        np.array(timings["lengths"]),
        tuple(series),
        x_label="길이 n",
        y_label="시간 (ms)",
        log_x=True,
        log_y=True,
    )


if __name__ == "__main__":
    # BLAS threads are fixed at import: re-run once with one thread, so numbers shake less when
    # other programs share the CPU, and naive and tiled get the same single core.
    if any(os.environ.get(name) != "1" for name in BLAS_THREAD_VARIABLES):
        single = dict(os.environ) | dict.fromkeys(BLAS_THREAD_VARIABLES, "1")
        os.execve(sys.executable, [sys.executable, "-m", "snippets.efficient_attention"], single)
    result = measure_timings()
    TIMINGS_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(timing_note(result))
    print(f"wrote {TIMINGS_PATH}")
