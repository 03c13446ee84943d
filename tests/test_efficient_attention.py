"""Lesson 06: online softmax, tiled attention and the KV cache equal the naive attention;
the memory and timing figures measure what the page says they measure."""

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from snippets import efficient_attention as lesson
from snippets.core import causal_mask, scaled_dot_product_attention, softmax
from snippets.figures import all_figures

from .conftest import ROOT

PAGE = ROOT / "docs" / "06_efficient_attention.md"
finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
score_vectors = arrays(np.float64, st.integers(1, 30), elements=finite)


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def page_prose() -> str:
    """The page without its fenced blocks: what the reader reads as text."""
    return re.sub(r"```.*?```", "", page(), flags=re.DOTALL)


def qkv(seed: int, n_q: int, n_k: int, d: int, d_v: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    return (
        scale * rng.standard_normal((n_q, d)),
        rng.standard_normal((n_k, d)),
        rng.standard_normal((n_k, d_v)),
    )


# 1. The memory wall


def test_score_matrix_bytes_by_hand():
    assert lesson.score_matrix_bytes(1024) == 1024 * 1024 * 4 == 4 * lesson.MIB
    assert lesson.score_matrix_bytes(131072, 2) == 32 * lesson.GIB
    assert lesson.format_bytes(512) == "512 B"
    assert lesson.format_bytes(1536) == "1.5 KiB"
    assert lesson.format_bytes(lesson.TIB) == "1.0 TiB"


def test_memory_wall_numbers_on_the_page():
    prose = page_prose()
    for n, fp32 in [(1024, "4.0 MiB"), (131072, "64.0 GiB")]:
        assert lesson.format_bytes(lesson.score_matrix_bytes(n, 4)) == fp32
        assert fp32 in prose
    assert lesson.format_bytes(3 * 131072 * 128 * 4) == "192.0 MiB"
    assert "192.0 MiB" in prose
    # "more than 300 times" the three (n, d) matrices at n = 131,072.
    ratio = lesson.score_matrix_bytes(131072, 4) / (3 * 131072 * 128 * 4)
    assert 300 < ratio < 400 and "300배가 넘습니다" in prose
    assert lesson.format_bytes(32 * lesson.score_matrix_bytes(131072, 2)) == "1.0 TiB"
    assert "1.0 TiB" in prose
    # Doubling n quadruples the matrix.
    assert lesson.score_matrix_bytes(2048) == 4 * lesson.score_matrix_bytes(1024)


# 2. Online softmax


def test_online_softmax_steps_by_hand():
    steps = lesson.online_softmax_steps(np.array([1.0, 2.0, 0.5, 3.0, 2.5, 4.0]), 2)
    e = np.exp
    l1 = e(-1.0) + 1
    l2 = l1 * e(-1.0) + e(-2.5) + 1
    l3 = l2 * e(-1.0) + e(-1.5) + 1
    assert [m for m, _ in steps] == [2.0, 3.0, 4.0]
    assert_allclose([total for _, total in steps], [l1, l2, l3], rtol=1e-14)


def test_the_stream_raises_its_maximum_in_every_chunk():
    # The page says the toy scores were picked so that every chunk rescales.
    maxima = [m for m, _ in lesson.online_softmax_steps(lesson.STREAM_SCORES, 2)]
    assert maxima == sorted(set(maxima)) and len(maxima) == 3


@given(score_vectors, st.integers(1, 35))
def test_online_normaliser_equals_softmax_normaliser(scores, chunk_size):
    m, total = lesson.online_softmax_steps(scores, chunk_size)[-1]
    assert m == scores.max()
    assert_allclose(total, np.exp(scores - scores.max()).sum(), rtol=1e-12)
    assert_allclose(lesson.online_softmax(scores, chunk_size), softmax(scores), rtol=1e-12)


@given(score_vectors, st.data())
def test_any_chunking_merges_to_the_same_normaliser(scores, data):
    """Random cut points (not only equal chunks), merged left to right or in any pairing."""
    n = len(scores)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, n - 1)), max_size=n)) - {n})
    chunks = np.split(scores, cuts)
    parts = [(float(chunk.max()), float(np.exp(chunk - chunk.max()).sum())) for chunk in chunks]
    order = data.draw(st.permutations(range(len(parts))))
    merged = parts[order[0]]
    for index in order[1:]:
        merged = lesson.merge_normalisers(merged, parts[index])
    assert merged[0] == scores.max()
    assert_allclose(merged[1], np.exp(scores - scores.max()).sum(), rtol=1e-12)


def test_online_softmax_survives_huge_scores():
    scores = np.array([1000.0, 1001.0, 999.0, 1002.0])
    assert_allclose(lesson.online_softmax(scores, 1), softmax(scores), rtol=1e-12)


# 3. Tiled attention

shapes = st.tuples(
    st.integers(0, 2**16),  # seed
    st.integers(1, 17),  # n_q
    st.integers(1, 17),  # n_k
    st.integers(1, 6),  # d
    st.integers(1, 6),  # d_v
)


@given(shapes, st.integers(1, 20), st.integers(1, 20))
@example((0, 10, 10, 4, 4), 3, 3)  # block does not divide n
@example((1, 9, 13, 3, 2), 1, 1)  # block size 1
@example((2, 7, 5, 2, 3), 7, 5)  # one block covers everything
@example((3, 6, 6, 2, 2), 50, 50)  # block larger than n
def test_tiled_equals_naive(shape, block_q, block_k):
    seed, n_q, n_k, d, d_v = shape
    queries, keys, values = qkv(seed, n_q, n_k, d, d_v)
    expected, _ = scaled_dot_product_attention(queries, keys, values)
    got = lesson.tiled_attention(queries, keys, values, block_q, block_k)
    assert got.shape == (n_q, d_v)
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**16), st.integers(1, 17), st.integers(1, 6), st.integers(1, 20))
@example(0, 10, 4, 3)
@example(1, 9, 3, 1)
@example(2, 8, 2, 8)
@example(3, 5, 2, 40)
def test_causal_tiled_equals_naive_with_causal_mask(seed, n, d, block):
    queries, keys, values = qkv(seed, n, n, d, d)
    expected, _ = scaled_dot_product_attention(queries, keys, values, causal_mask(n))
    got = lesson.tiled_attention(queries, keys, values, block, block, causal=True)
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@given(shapes, st.integers(1, 20), st.integers(1, 20))
def test_causal_tiled_with_unequal_blocks_and_rectangles(shape, block_q, block_k):
    seed, n_q, n_k, d, d_v = shape
    queries, keys, values = qkv(seed, n_q, n_k, d, d_v)
    mask = np.tril(np.ones((n_q, n_k), dtype=bool))  # query i sees keys 0…i
    expected, _ = scaled_dot_product_attention(queries, keys, values, mask)
    got = lesson.tiled_attention(queries, keys, values, block_q, block_k, causal=True)
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_tiled_is_stable_for_large_scores():
    queries, keys, values = qkv(7, 12, 12, 4, 3, scale=200.0)
    expected, _ = scaled_dot_product_attention(queries, keys, values)
    got = lesson.tiled_attention(queries, keys, values, 5, 5)
    assert np.isfinite(got).all()
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_tiled_matches_naive_doctest_uses_a_block_that_does_not_divide_n():
    assert 10 % 3 != 0
    assert lesson.tiled_matches_naive() == (True, True)


@pytest.mark.parametrize(("n", "block"), [(16, 4), (10, 3), (7, 7), (5, 1), (4096, 128)])
def test_causal_tile_count(n, block):
    tiles = -(-n // block)
    computed, total = lesson.causal_block_count(n, block)
    assert total == tiles * tiles
    assert computed == tiles * (tiles + 1) // 2  # the diagonal and everything below it


def test_skipped_tiles_hold_only_future_keys():
    fractions = lesson.causal_tile_fractions(16, 4)
    assert_allclose(np.triu(fractions, 1), 0)  # above the diagonal: skipped
    assert_allclose(np.tril(fractions, -1)[np.tril_indices(4, -1)], 1)  # below: all used
    assert_allclose(np.diag(fractions), 10 / 16)  # 4×4 lower triangle with diagonal


def test_key_block_starts_never_reach_the_future():
    for q_start in range(0, 20, 3):
        q_stop = min(q_start + 3, 20)
        for k_start in lesson.key_block_starts(q_start, q_stop, 20, 4, causal=True):
            assert k_start <= q_stop - 1  # the tile holds at least one key some query may see
        assert list(lesson.key_block_starts(q_start, q_stop, 20, 4, causal=False)) == list(
            range(0, 20, 4)
        )


def test_causal_tiles_page_numbers():
    computed, total = lesson.causal_block_count(16, 4)
    assert (computed, total) == (10, 16)
    assert "16개 중 10개" in page_prose()


# 4. KV cache


@given(st.integers(0, 2**16), st.integers(1, 16), st.integers(1, 6), st.integers(1, 6))
def test_decoding_with_cache_equals_full_causal_recomputation(seed, n, d, d_v):
    queries, keys, values = qkv(seed, n, n, d, d_v)
    step_by_step = lesson.decode_with_cache(queries, keys, values)
    full, _ = scaled_dot_product_attention(queries, keys, values, causal_mask(n))
    assert_allclose(step_by_step, full, rtol=1e-12, atol=1e-12)
    # And each step equals recomputing the whole prefix from scratch, keeping its last row.
    for t in range(n):
        prefix, _ = scaled_dot_product_attention(
            queries[: t + 1], keys[: t + 1], values[: t + 1], causal_mask(t + 1)
        )
        assert_allclose(step_by_step[t], prefix[-1], rtol=1e-12, atol=1e-12)


def test_cache_counts_its_work():
    n = 9
    queries, keys, values = qkv(0, n, n, 3, 3)
    cache = lesson.KVCache(n, 3, 3)
    for q, k, v in zip(queries, keys, values, strict=True):
        cache.step(q, k, v)
    without, with_cache = lesson.decoding_score_counts(n)
    assert cache.scores_computed == with_cache == n * (n + 1) // 2
    # Without a cache, step t recomputes its whole t×t weight matrix.
    recomputed = 0
    for t in range(1, n + 1):
        _, weights = scaled_dot_product_attention(queries[:t], keys[:t], values[:t], causal_mask(t))
        recomputed += weights.size
    assert recomputed == without == n * (n + 1) * (2 * n + 1) // 6


def test_cache_refuses_more_tokens_than_its_capacity():
    cache = lesson.KVCache(1, 2, 2)
    cache.step(np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(IndexError):
        cache.step(np.ones(2), np.ones(2), np.ones(2))


def test_decoding_work_numbers_on_the_page():
    without, with_cache = lesson.decoding_score_counts(1024)
    prose = page_prose()
    assert f"{without / with_cache:.0f}배" == "683배" and "683배" in prose
    assert lesson.format_bytes(lesson.kv_cache_bytes(131072, 128, 1, 1, 2)) == "64.0 MiB"
    assert lesson.format_bytes(lesson.score_matrix_bytes(131072, 2)) == "32.0 GiB"
    assert "64.0 MiB" in prose and "32.0 GiB" in prose


# 5. Measurements: memory and time, both from the stored JSON


@pytest.fixture(scope="module")
def memory_figure():
    return all_figures()["efficient_peak_memory"].compute_checked()


def test_peak_memory_grows_like_n_squared_for_naive_and_like_n_for_tiled(memory_figure):
    naive, tiled_64, tiled_256 = (line.y for line in memory_figure.series)
    x = memory_figure.x
    assert list(x) == list(lesson.MEMORY_LENGTHS)
    assert all(b == 2 * a for a, b in itertools.pairwise(x))
    # Doubling n: naive × ~4 at the large end, tiled × at most ~2.
    assert 3.5 < naive[-1] / naive[-2] < 4.5 and 3.5 < naive[-2] / naive[-3] < 4.5
    assert 1.2 < tiled_64[-1] / tiled_64[-2] < 2.1
    assert tiled_256[-1] / tiled_256[-2] < 2.1
    # The page: naive holds about four n×n float64 matrices at its peak.
    n = x[-1]
    assert 3.9 < naive[-1] * lesson.MIB / (n * n * 8) < 4.2
    assert n == 1024 and round(naive[-1]) == 32 and "n = 1,024에서 32 MiB 정도" in page_prose()
    # Tiled uses far less at the largest n.
    assert naive[-1] > 10 * tiled_256[-1] and naive[-1] > 40 * tiled_64[-1]
    assert "40분의 1도 쓰지 않습니다" in page_prose()
    # Block 256 uses more than block 64, and is close to naive while one tile covers n ≤ 256.
    assert (tiled_256[1:] > tiled_64[1:]).all()
    small = x <= 256
    ratio = tiled_256[small] / naive[small]
    assert ((ratio > 0.5) & (ratio < 1.5)).all()
    assert (tiled_256[~small] < naive[~small] / 3).all()


def test_memory_figure_is_deterministic(memory_figure):
    again = all_figures()["efficient_peak_memory"].compute_checked()
    assert again.data() == memory_figure.data()


def test_stored_peak_memory_is_what_measuring_now_gives(memory_figure):
    stored = {line.label: line.y for line in memory_figure.series}
    assert_allclose(lesson.memory_curve(None), stored["기본 구현 (n×n 행렬)"], rtol=0.01)
    assert_allclose(lesson.memory_curve(64), stored["타일링, 블록 64"], rtol=0.01)


def test_peak_memory_counts_numpy_arrays():
    size = 1_000_000
    peak = lesson.peak_memory_bytes(np.ones, size)
    assert size * 8 <= peak < size * 8 + 64 * 1024


def test_stored_timings_match_the_measured_code():
    timings = lesson.load_timings()
    assert timings["source_sha256"] == lesson.measured_source_hash(), (
        "the timed code changed since snippets/efficient_attention_timings.json was written; "
        "re-run `python -m snippets.efficient_attention`"
    )
    assert timings["lengths"] == list(lesson.TIMING_LENGTHS)
    assert set(timings["seconds"]) == {"naive"} | {f"tiled_{b}" for b in lesson.TIMING_BLOCKS}
    for times in timings["seconds"].values():
        assert len(times) == len(lesson.TIMING_LENGTHS) and min(times) > 0
    assert {"cpu_count", "platform", "numpy"} <= set(timings["machine"])


def test_source_hash_follows_the_measured_code(monkeypatch):
    before = lesson.measured_source_hash()
    monkeypatch.setattr(lesson, "MEASURED_FUNCTIONS", lesson.MEASURED_FUNCTIONS[:-1])
    assert lesson.measured_source_hash() != before


def test_page_names_the_machine_the_times_come_from():
    note = lesson.timing_note(lesson.load_timings())
    assert note in page(), f"paste this sentence into {PAGE.name}:\n{note}"
    machine = lesson.load_timings()["machine"]
    assert machine["platform"] in note and f"numpy {machine['numpy']}" in note


def test_page_claims_about_the_timings_hold():
    """The page says: at n = 128 everything takes under 1 ms; at the largest n both tilings beat
    naive on this machine, and block 256 beats block 64 (16 times fewer tiles, n = 4,096)."""
    timings = lesson.load_timings()
    seconds = {name: np.array(times) for name, times in timings["seconds"].items()}
    prose = page_prose()
    assert timings["lengths"][0] == 128 and "n = 128처럼" in prose
    assert max(times[0] for times in seconds.values()) < 1e-3
    for block in lesson.TIMING_BLOCKS:
        assert seconds[f"tiled_{block}"][-1] < seconds["naive"][-1]
    assert seconds["tiled_256"][-1] < seconds["tiled_64"][-1]
    n = timings["lengths"][-1]
    assert n == 4096 and (n // 64) ** 2 == 16 * (n // 256) ** 2
    # Four n×n float64 matrices at n = 4,096, and one 64×64 float64 tile.
    assert lesson.format_bytes(4 * n * n * 8) == "512.0 MiB" and "512 MiB" in prose
    assert lesson.format_bytes(64 * 64 * 8) == "32.0 KiB" and "32 KiB" in prose
    assert lesson.format_bytes(1024 * 1024 * 8) == "8.0 MiB" and "(8 MiB)" in prose


def test_timing_figure_reads_the_json():
    plot = all_figures()["efficient_timings"].compute_checked()
    timings = lesson.load_timings()
    assert list(plot.x) == timings["lengths"]
    assert_allclose(plot.series[0].y, np.array(timings["seconds"]["naive"]) * 1000)


def test_timings_json_is_not_written_by_the_build():
    # Only the __main__ block writes it; importing the module must not.
    stamp = Path(lesson.TIMINGS_PATH).stat().st_mtime_ns
    all_figures()["efficient_timings"].compute_checked()
    assert Path(lesson.TIMINGS_PATH).stat().st_mtime_ns == stamp


# Exercises


def test_exercise_answers_on_the_page():
    prose = page_prose()
    assert lesson.exercise_memory() == "128.0 MiB" and "128.0 MiB" in prose
    assert lesson.format_bytes(lesson.score_matrix_bytes(4096, 2)) == "32.0 MiB"
    assert "n = 4,096(32.0 MiB)의 4배" in prose
    m, total = lesson.exercise_merge()
    assert m == 3.0 and f"{total:.4f}" == "1.5032" and "1.5032" in prose
    assert_allclose(total, np.exp([-2.0, -1.0, 0.0]).sum())
    computed, tiles = lesson.exercise_tiles()
    assert (computed, tiles) == (528, 1024) and "528" in prose and "51.6%" in prose
    assert lesson.exercise_kv_cache() == "2.0 GiB" and "2.0 GiB" in prose


def test_page_links_back_and_to_the_glossary_and_start():
    text = page()
    for target in ("05_masked_and_cross_attention.md", "glossary.md", "index.md"):
        assert f"]({target}" in text
    assert "{ #closing }" in text
