"""One writing run at a time: a file lock (filelock) in the state folder.

The kernel releases the lock when its holder dies, even on ``kill -9``, so a crashed run
never blocks the next one. Beside the lock, a small JSON file names the holder (pid,
host, command, start time) so that a refused run can say who holds it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import LockHeld


@contextmanager
def run_lock(state_dir: Path, command: str) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(state_dir / "run.lock", timeout=0)
    holder = state_dir / "run.lock.json"
    try:
        lock.acquire()
    except Timeout:
        try:
            info = json.loads(holder.read_text("utf-8"))
            who = (
                f"pid {info['pid']} on {info['host']} ({info['command']}, started "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(info['started']))})"
            )
        except (OSError, ValueError, KeyError):
            who = "another process"
        raise LockHeld(f"another bisum run holds {lock.lock_file}: {who}") from None
    try:
        holder.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": command,
                    "started": time.time(),
                }
            ),
            "utf-8",
        )
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()
