"""Re-record ``cassettes/corpus.yaml`` and regenerate ``outputs/`` from the stub server.

    python -m tests.record_corpus

The stub answers with the hand-written reference summaries (tests/reference), so the
committed outputs are the pipeline's real output for known answers. To record a live
model instead: ``OPENAI_API_KEY=sk-... bisum summarise corpus/ --record
cassettes/corpus.yaml --no-cache`` (the key is scrubbed from the cassette).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline import jobs
from pipeline.settings import load_settings
from tests.stub import StubServer

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.chdir(ROOT)
    shutil.rmtree(ROOT / "outputs", ignore_errors=True)
    with StubServer() as stub:
        settings = load_settings({"base_url": stub.url, "api_key": "stub-key"}, root=ROOT, env={})
        options = jobs.RunOptions(record=ROOT / "cassettes" / "corpus.yaml", read_cache=False)
        report = jobs.run([ROOT / "corpus"], settings, options)
    print(
        f"recorded {stub.stats.requests} exchanges; "
        f"{report.count('ok')} ok, {len(report.failed)} failed"
    )


if __name__ == "__main__":
    main()
