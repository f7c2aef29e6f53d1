"""Where bisum's client CPU goes: the cold workload under cProfile, grouped by component.

    python -m bench.profile            # 200 documents, as in the cold benchmark
    python -m bench.profile -n 1000

Runs ``bisum summarise`` in this process against the stub server with no limits and no
latency (so the figures are client work only, not waiting), then prints the CPU seconds of
the whole process and cProfile's own time per function, summed by the component that owns
the function's file. cProfile slows Python code down by itself, so the shares matter more
than the absolute figures; the unprofiled total is the cold scenario of ``bench.run``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.run import UNLIMITED, Stub, make_project

# first match wins: (component, substrings of a profiled function's file name)
COMPONENTS = (
    ("tokenizer load", ("pipeline/encodings",)),
    ("token counting (tiktoken)", ("tiktoken", "CoreBPE")),
    ("openai client + HTTP", ("openai", "httpx", "httpcore", "anyio", "h11", "socket")),
    ("figure checks", ("pipeline/figures", "pipeline/grounding", "pipeline/checks")),
    ("loading + encoding detection", ("pipeline/load", "charset_normalizer", "frontmatter")),
    ("cleaning + chunking", ("pipeline/clean", "pipeline/chunk", "pipeline/html")),
    ("validation (pydantic)", ("pydantic", "pipeline/validate", "pipeline/schemas", "opencc")),
    ("writing outputs", ("pipeline/outputs", "pipeline/markdown", "pipeline/files", "fsync")),
    ("file system calls", ("posix.", "io.open", "tempfile")),
    ("regular expressions", ("re.Pattern", "/re/")),
    ("response cache (sqlite)", ("pipeline/cache", "sqlite3")),
    ("json", ("json/",)),
    ("asyncio event loop", ("asyncio", "select.epoll", "selectors")),
    (
        "imports and class creation",
        ("importlib", "<frozen", "marshal", "builtins.compile", "__build_class__", "builtins.exec")
        + ("typing", "dataclasses"),
    ),
)


def component(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for name, needles in COMPONENTS:
        if any(needle in where for needle in needles):
            return name
    return "other (pipeline orchestration, rich, settings ...)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--documents", type=int, default=200)
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("--other", action="store_true", help="list what falls in no component")
    parser.add_argument(
        "--no-profile", action="store_true", help="only the CPU total, without the profiler"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bisum-profile-") as tmp:
        project = make_project(Path(tmp), args.documents, low=4, high=16)
        stub = Stub(UNLIMITED, project / "stub.jsonl")
        try:
            os.chdir(project)
            os.environ["OPENAI_API_KEY"] = "bench"
            cpu0, wall0 = time.process_time(), time.perf_counter()
            profiler = cProfile.Profile()
            if not args.no_profile:
                profiler.enable()
            from pipeline.cli import main as cli

            try:
                cli.main(
                    args=["summarise", "docs/", "--base-url", stub.url, "--no-progress"]
                    + ["-c", str(args.concurrency)],
                    prog_name="bisum",
                    standalone_mode=False,
                )
            except SystemExit as exc:
                if exc.code:
                    raise
            profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        finally:
            log = stub.stop()
    requests = sum(1 for r in log if r["status"] == 200)
    if args.no_profile:
        print(
            f"{args.documents} documents, {requests} requests: {cpu:.2f} s CPU "
            f"({cpu / args.documents * 1000:.1f} ms per document, imports included), "
            f"{wall:.1f} s wall"
        )
        return
    stats = pstats.Stats(profiler)
    by_component: dict[str, float] = defaultdict(float)
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        by_component[component(filename, function)] += row[2]  # own time
    total = sum(by_component.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.documents} documents, {requests} requests: {cpu:.2f} s CPU under the profiler "
        f"({cpu / args.documents * 1000:.1f} ms per document), {wall:.1f} s wall, "
        f"peak RSS {rss:.0f} MB"
    )
    print(f"{'component':<52} {'s':>7} {'share':>6} {'ms/doc':>7}")
    for name, seconds in sorted(by_component.items(), key=lambda kv: -kv[1]):
        share = seconds / total
        print(f"{name:<52} {seconds:7.2f} {share:6.1%} {seconds / args.documents * 1000:7.2f}")
    if args.other:
        rows = [
            (row[2], f"{f}:{fn}")
            for (f, _, fn), row in stats.stats.items()  # type: ignore[attr-defined]
            if component(f, fn).startswith("other")
        ]
        for seconds, where in sorted(rows, reverse=True)[:40]:
            print(f"  {seconds:6.3f} {where}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
