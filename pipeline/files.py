"""Files written atomically: a temp file beside the target, fsync, ``os.replace``.

A crash leaves either the old file or the new one, never half of one; what it can leave
is a temp file, which carries ``TMP_MARK`` in its name so ``sweep_temp`` can remove it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TMP_MARK = ".bisum-tmp-"


def write_bytes_atomic(path: Path, data: bytes, *, sync_dir: bool = True) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True if written.

    The data is fsynced before the rename, so the new name never points at an empty file.
    A caller writing many files may pass ``sync_dir=False`` and call ``sync_directory``
    once at the end: until then a crash can only bring back a file's previous version."""
    try:
        if path.read_bytes() == data:
            return False  # unchanged: keep the file (and its mtime) as it is
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}{TMP_MARK}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        sync_directory(path.parent)
    return True


def write_text_atomic(path: Path, text: str, *, sync_dir: bool = True) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"), sync_dir=sync_dir)


def sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sweep_temp(directory: Path) -> list[Path]:
    """Remove temp files a killed run left behind; return what was removed."""
    if not directory.is_dir():
        return []
    removed = []
    for path in directory.iterdir():
        if TMP_MARK in path.name and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
