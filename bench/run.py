"""Throughput benchmark: bisum at the provider's limit, beside LangChain, on a stub server.

    python -m bench.run                 # the full run (about 20 minutes), results in bench/results/
    python -m bench.run --quick         # a small smoke run (about 2 minutes)

Every scenario runs its client in a process of its own (``bench.child``, which reports
CPU seconds and peak RSS) against the stub server in another (``python -m tests.stub``:
a fake model with a latency model and RPM/TPM buckets charged as OpenAI charges them).
The stub logs every request, and the lower bound of each run is computed from that log:

    W_min = max((requests - RPM) / RPM, (charged tokens - TPM) / TPM,
                sum(latency) / concurrency, longest per-document critical path)

where charged tokens are prompt tokens + max_tokens of the requests that succeeded, a
document's critical path is its slowest map call plus its reduce call(s), and one
minute's worth of requests and tokens is subtracted because the provider's buckets (and
the stub's) start full: that first minute can be spent in a burst.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from bench import synthetic

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Limits:
    rpm: int | None = 500
    tpm: int | None = 200_000
    ttft: float = 0.3
    tps: float = 200.0


TIER1 = Limits()
UNLIMITED = Limits(rpm=None, tpm=None, ttft=0.0, tps=0.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stub:
    """The stub server in its own process, logging every request."""

    def __init__(self, limits: Limits, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        args = [
            sys.executable,
            "-m",
            "tests.stub",
            "--port",
            str(self.port),
            "--log",
            str(log),
            "--ttft",
            str(limits.ttft),
            "--tps",
            str(limits.tps),
            "--no-references",
        ]
        if limits.rpm:
            args += ["--rpm", str(limits.rpm)]
        if limits.tpm:
            args += ["--tpm", str(limits.tpm)]
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the stub server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> list[dict]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(20)
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


def make_project(folder: Path, documents: int, **sizes: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "prompts", folder / "prompts")
    synthetic.write(folder / "docs", documents, **sizes)
    return folder


def child(project: Path, subject: str, *args: str) -> dict:
    report = project / f"report-{time.monotonic_ns()}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BISUM_"))}
    env.update(PYTHONPATH=str(ROOT), OPENAI_API_KEY="bench")
    subprocess.run(
        [sys.executable, "-m", "bench.child", str(report), subject, *args],
        cwd=project,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(report.read_text())


def lower_bound(log: list[dict], limits: Limits, concurrency: int) -> dict:
    ok = [r for r in log if r["status"] == 200]
    charged = sum(r["prompt_tokens"] + r["max_tokens"] for r in ok)
    latency = sum(r["seconds"] for r in ok)
    per_doc: dict[str, dict[str, float]] = defaultdict(lambda: {"map": 0.0, "after": 0.0})
    for r in ok:
        stage = per_doc[r["title"]]
        if r["kind"] == "map":
            stage["map"] = max(stage["map"], r["seconds"])
        else:
            stage["after"] += r["seconds"]  # collapse, reduce and re-asks run one after another
    critical = max((s["map"] + s["after"] for s in per_doc.values()), default=0.0)
    bounds = {
        "requests/RPM": max(0, len(ok) - limits.rpm) / limits.rpm * 60 if limits.rpm else 0.0,
        "tokens/TPM": max(0, charged - limits.tpm) / limits.tpm * 60 if limits.tpm else 0.0,
        "latency/concurrency": latency / concurrency,
        "critical path": critical,
    }
    binding = max(bounds, key=bounds.get)
    return {
        "requests": len(ok),
        "rate_limited": sum(1 for r in log if r["status"] == 429),
        "errors": sum(1 for r in log if r["status"] not in (200, 429)),
        "prompt_tokens": sum(r["prompt_tokens"] for r in ok),
        "completion_tokens": sum(r["completion_tokens"] for r in ok),
        "charged_tokens": charged,
        "bounds": {k: round(v, 2) for k, v in bounds.items()},
        "w_min": round(bounds[binding], 2),
        "binding": binding,
    }


def scenario(
    name: str,
    project: Path,
    documents: int,
    limits: Limits,
    concurrency: int,
    subject: str,
    *args: str,
) -> dict:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
    stub = Stub(limits, project / f"stub-{name}.jsonl")
    try:
        if subject == "langchain":
            used = child(
                project,
                "langchain",
                str(project),
                stub.url,
                str(limits.rpm or 10**6),
                str(concurrency),
                *args,
            )
        else:
            used = child(
                project,
                "bisum",
                *args,
                "--base-url",
                stub.url,
                "--no-progress",
                "-c",
                str(concurrency),
            )
    finally:
        log = stub.stop()
    bound = lower_bound(log, limits, concurrency)
    result = {
        "scenario": name,
        "concurrency": concurrency,
        "limits": asdict(limits),
        **used,
        **bound,
        "documents": documents,
    }
    result["wall/W_min"] = round(used["wall"] / bound["w_min"], 3) if bound["w_min"] else None
    for sample in used.get("error_samples", []):
        print(f"    failed: {sample}", flush=True)
    print(
        f"    {used.get('completed', '-')}/{documents} documents done, "
        f"wall {used['wall']:.1f} s, {bound['requests']} requests, "
        f"{bound['rate_limited']} x 429, W_min {bound['w_min']} s ({bound['binding']})",
        flush=True,
    )
    return result


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    versions = {}
    for package in (
        "openai",
        "tiktoken",
        "pydantic",
        "langchain",
        "langchain-openai",
        "langchain-core",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
        "packages": versions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="rewrite the table (.md beside it) of saved results and stop",
    )
    args = parser.parse_args()
    if args.render:
        report = json.loads(args.render.read_text())
        print_table(report)
        args.render.with_suffix(".md").write_text(table_markdown(report))
        return
    cold_docs, warm_docs, concurrency = (24, 1000, 16) if args.quick else (200, 10_000, 32)
    wanted = set(args.only or ["cold", "langchain", "learned", "warm", "incremental"])
    rpm_tpm = ("--rpm", str(TIER1.rpm), "--tpm", str(TIER1.tpm))
    results = []
    with tempfile.TemporaryDirectory(prefix="bisum-bench-") as tmp:
        tmp = Path(tmp)

        def cold(name: str, folder: str, subject: str, *extra: str) -> None:
            p = make_project(tmp / folder, cold_docs, low=4, high=16)
            results.append(scenario(name, p, cold_docs, TIER1, concurrency, subject, *extra))

        if "cold" in wanted:
            cold("cold, limits configured", "cold", "bisum", "summarise", "docs/", *rpm_tpm)
        if "langchain" in wanted:
            # max_retries 2 is the openai client's default and what LangChain's docs show;
            # 1000 lets every document finish, for a wall time over the same work.
            for retries in (2, 1000):
                cold(
                    f"cold, LangChain, max_retries={retries}",
                    f"langchain-{retries}",
                    "langchain",
                    str(retries),
                )
        if "learned" in wanted:
            cold("cold, limits learned", "learned", "bisum", "summarise", "docs/")
        if wanted & {"warm", "incremental"}:
            p = make_project(tmp / "warm", warm_docs)
            setup = scenario(
                f"setup: {warm_docs} documents",
                p,
                warm_docs,
                UNLIMITED,
                64,
                "bisum",
                "summarise",
                "docs/",
            )
            setup["setup"] = True
            results.append(setup)
            if "warm" in wanted:
                results.append(
                    scenario(
                        f"warm refresh, {warm_docs} unchanged",
                        p,
                        warm_docs,
                        UNLIMITED,
                        64,
                        "bisum",
                        "refresh",
                        "docs/",
                    )
                )
            if "incremental" in wanted:
                edited = sorted((p / "docs").glob("*.md"))[::100]  # 1%
                for path in edited:
                    synthetic.edit_one_paragraph(path)
                result = scenario(
                    f"incremental refresh, {len(edited)} edited",
                    p,
                    warm_docs,
                    TIER1,
                    concurrency,
                    "bisum",
                    "refresh",
                    "docs/",
                    *rpm_tpm,
                )
                result["edited"] = len(edited)
                results.append(result)
    report = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "quick": args.quick,
        "results": results,
    }
    print_table(report)
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{report['date']}.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / f"{report['date']}.md").write_text(table_markdown(report))
        print(f"wrote {path}")


def table_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# bisum benchmark, {report['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb']:,} MB, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v),
        "",
        "| scenario | documents done | wall s | W_min s (binding) | wall/W_min | requests "
        "| 429s | tokens in/out | client CPU s | CPU ms/doc | peak RSS MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        docs = r["documents"]
        cpu_per_doc = f"{r['cpu'] / docs * 1000:.1f}" if docs else "-"
        ratio = f"{r['wall/W_min']:.2f}" if r["wall/W_min"] else "-"
        lines.append(
            f"| {r['scenario']} | {r.get('completed', '-')}/{docs} | {r['wall']:.1f} "
            f"| {r['w_min']:.1f} ({r['binding']}) | {ratio} "
            f"| {r['requests']} | {r['rate_limited']} | {r['prompt_tokens']:,}/"
            f"{r['completion_tokens']:,} | {r['cpu']:.1f} | {cpu_per_doc} | {r['rss_mb']:.0f} |"
        )
    heading = (
        "Targets (set for the full sizes; a quick run only smoke-tests):"
        if report.get("quick")
        else "Targets:"
    )
    lines += ["", heading, ""] + [f"- {line}" for line in targets(report["results"])]
    return "\n".join(lines) + "\n"


def targets(results: list[dict]) -> list[str]:
    """Each target of the benchmark as a measured ratio, met or not."""
    by_name = {r["scenario"]: r for r in results}

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = []
    cold = by_name.get("cold, limits configured")
    if cold:
        share = cold["rate_limited"] / max(1, cold["requests"])
        lines.append(
            f"cold, limits configured: wall/W_min {cold['wall/W_min']:.2f} (<= 1.15, "
            f"{mark(cold['wall/W_min'] <= 1.15)}); 429s {share:.2%} of requests "
            f"(<= 1%, {mark(share <= 0.01)})"
        )
        per_doc = cold["cpu"] / cold["documents"] * 1000
        lines.append(
            f"client CPU in the cold run: {per_doc:.1f} ms per document (<= 10, "
            f"{mark(per_doc <= 10)}; includes interpreter start, imports and tokenizer load)"
        )
    learned = by_name.get("cold, limits learned")
    if learned:
        lines.append(
            f"cold, limits learned: wall/W_min {learned['wall/W_min']:.2f} (<= 1.35, "
            f"{mark(learned['wall/W_min'] <= 1.35)})"
        )
    for name, peer in by_name.items():
        if not name.startswith("cold, LangChain") or not cold:
            continue
        done = peer.get("completed") or 0
        per_doc = (
            f"{(cold['wall'] / cold['completed']) / (peer['wall'] / done):.2f}" if done else "-"
        )
        lines.append(
            f"bisum / {name.removeprefix('cold, ')}: wall {cold['wall'] / peer['wall']:.2f}, "
            f"wall per completed document {per_doc}; documents done {cold['completed']} vs "
            f"{done}, 429s {cold['rate_limited']} vs {peer['rate_limited']}"
        )
    warm = next((r for n, r in by_name.items() if n.startswith("warm refresh")), None)
    if warm:
        ok = warm["wall"] <= 3 and warm["requests"] == 0 and warm["rss_mb"] <= 300
        lines.append(
            f"warm refresh of {warm['documents']:,} unchanged: {warm['wall']:.1f} s (<= 3), "
            f"{warm['requests']} requests (0), peak RSS {warm['rss_mb']:.0f} MB (<= 300): "
            f"{mark(ok)}"
        )
    return lines


def print_table(report: dict) -> None:
    print()
    print(table_markdown(report))


if __name__ == "__main__":
    main()
