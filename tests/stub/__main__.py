"""Run the stub server in the foreground: ``python -m tests.stub --port 8765``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tests.stub.server import REFERENCE_DIR, StubConfig, StubServer


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible stub server (tests only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reject-json-schema", action="store_true")
    parser.add_argument("--rpm", type=int)
    parser.add_argument("--tpm", type=int)
    parser.add_argument("--ttft", type=float, default=0.0)
    parser.add_argument("--tps", type=float, default=0.0)
    parser.add_argument("--log", type=Path, help="write one JSON line per request here")
    parser.add_argument(
        "--no-references", action="store_true", help="answer every reduce with the generic summary"
    )
    args = parser.parse_args()
    config = StubConfig(
        reject_json_schema=args.reject_json_schema,
        rpm=args.rpm,
        tpm=args.tpm,
        ttft=args.ttft,
        tps=args.tps,
        log=args.log,
        references=None if args.no_references else REFERENCE_DIR,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a clean stop flushes the log
    with StubServer(config, port=args.port) as server:
        print(f"stub server (not a model) listening on {server.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except (KeyboardInterrupt, SystemExit):
            pass


if __name__ == "__main__":
    main()
