"""Run the benchmarks and write docs/performance.md.

Each ``benchmarks/bench_<topic>.py`` has a ``TITLE`` and a function
``run(quick: bool) -> str`` returning a Markdown section (tables of timings,
peers side by side in the same process, ratios). Its section is stored in
``benchmarks/results/<topic>.md``; ``docs/performance.md`` is assembled from all
stored sections, under a header naming the machine and the date.

Usage::

    python benchmarks/run.py                 # all benchmarks
    python benchmarks/run.py network tables  # only these topics
    python benchmarks/run.py --quick         # small sizes only (smoke run; prints, writes nothing)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "performance.md"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "unknown memory"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def discover(only: list[str]) -> dict[str, Path]:
    found = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    if only:
        unknown = sorted(set(only) - set(found))
        if unknown:
            sys.exit(f"unknown benchmark(s) {unknown}; there are {sorted(found)}")
        found = {k: v for k, v in found.items() if k in only}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="*")
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--assemble", action="store_true",
                        help="run nothing; rebuild docs/performance.md from the recorded results")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    for topic, path in ({} if args.assemble else discover(args.topics)).items():
        spec = importlib.util.spec_from_file_location(f"bench_{topic}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(HERE))
        spec.loader.exec_module(module)
        print(f"== {topic}: {module.TITLE}", flush=True)
        start = time.perf_counter()
        body = module.run(quick=args.quick)
        took = time.perf_counter() - start
        section = (
            f"## {module.TITLE}\n\n_Run {stamp}{' (quick)' if args.quick else ''} on {machine()}; "
            f"the whole benchmark took {took:.0f} s._\n\n{body.strip()}\n"
        )
        print(section)
        if not args.quick:  # a smoke run never replaces the recorded results
            (RESULTS / f"{topic}.md").write_text(section, encoding="utf-8")
    if args.quick:
        return
    sections = [p.read_text(encoding="utf-8") for p in sorted(RESULTS.glob("*.md"))]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(
        "# Performance\n\n"
        "Measured with `make bench` (`benchmarks/run.py`). Peers run side by side in the same\n"
        "process on the same inputs; ratios are peer time / quartier time (above 1: quartier is\n"
        "faster). Each section names the machine and date of its run.\n\n" + "\n".join(sections),
        encoding="utf-8",
    )
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
