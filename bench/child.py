"""Run one benchmark subject in a process of its own and report what it used.

    python -m bench.child REPORT.json bisum summarise docs/ ...
    python -m bench.child REPORT.json langchain PROJECT BASE_URL RPM CONCURRENCY MAX_RETRIES

Writes wall seconds, CPU seconds (user + system) and peak RSS of this process to
REPORT.json, with the subject's own result.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    report, subject, *args = sys.argv[1:]
    started = time.perf_counter()
    result: dict = {}
    if subject == "bisum":
        from pipeline.cli import main as cli

        try:
            cli.main(args=args, prog_name="bisum", standalone_mode=False)
            result["exit"] = 0
        except SystemExit as exc:
            result["exit"] = exc.code
        index = Path("outputs/index.json")
        counts = json.loads(index.read_text())["counts"] if index.exists() else {}
        result["completed"] = counts.get("ok", 0) + counts.get("needs_review", 0)
    elif subject == "langchain":
        from bench.peer_langchain import run

        project, base_url, rpm, concurrency, retries = args
        result = run(Path(project), base_url, int(rpm), int(concurrency), int(retries))
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    Path(report).write_text(
        json.dumps(
            {
                "wall": wall,
                "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024,
                **result,
            }
        )
    )


if __name__ == "__main__":
    main()
