"""Helpers for the benchmarks: best-of timing, peak memory of a call in a subprocess."""

from __future__ import annotations

import gc
import time


def best_of(fn, repeat: int = 3):
    """Run ``fn`` ``repeat`` times; return (best seconds, last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb(fn, *args, **kwargs) -> tuple[float, object]:
    """Peak resident memory (MB) of ``fn(*args, **kwargs)`` run in a fresh process.

    ``fn`` must be importable (a module-level function). Returns (peak MB, result).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (fn, args, kwargs))


def _measure(fn, args, kwargs):
    import resource

    result = fn(*args, **kwargs)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kb / 1024, result


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table from dicts."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        out.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(out)
