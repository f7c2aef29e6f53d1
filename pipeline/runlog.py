"""The run log: one JSON line per run in ``.bisum/runs.jsonl``, shown by ``bisum runs``."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.runner import RunReport

LOG_NAME = "runs.jsonl"


def record(report: RunReport) -> dict[str, Any]:
    s = report.stats
    return {
        "command": report.command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(report.started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(report.finished)),
        "seconds": round(report.finished - report.started, 3),
        "documents": dict(sorted(Counter(o.status for o in report.outcomes).items())),
        "requests": s.requests,
        "cache_hits": s.cache_hits,
        "retries": s.retries,
        "rate_limited": s.rate_limited,
        "reasks": s.reasks,
        "tokens_in": s.tokens_in,
        "tokens_out": s.tokens_out,
        "cost_usd": round(report.cost_usd, 6),
        "failures": [{"doc_id": o.doc_id, "error": o.error} for o in report.failed],
        "recomputed": {
            o.doc_id: o.reasons
            for o in report.outcomes
            if o.status in ("ok", "needs_review") and o.reasons
        },
    }


def append_run(state_dir: Path, report: RunReport) -> dict[str, Any]:
    entry = record(report)
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    return entry


def read_runs(state_dir: Path, last: int = 20) -> list[dict[str, Any]]:
    path = state_dir / LOG_NAME
    if not path.is_file():
        return []
    runs = []
    for line in path.read_text("utf-8").splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash: skip it, keep the rest
    return runs[-last:]
