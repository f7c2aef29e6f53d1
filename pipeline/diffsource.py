"""Where the two sides of a diff come from: an outputs folder, or a git revision.

A revision is read with ``git ls-tree`` and ``git cat-file``, without checking anything
out, so ``bisum diff HEAD~1 HEAD`` works in a dirty working tree.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.outputs import INDEX


@dataclass
class Side:
    name: str
    outputs: dict[str, dict[str, Any]]  # doc_id -> output JSON
    index: dict[str, dict[str, Any]]  # doc_id -> index.json entry


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise ConfigError("git is not installed; compare two folders instead") from exc


def _parse(name: str, files: dict[str, bytes]) -> Side:
    outputs, index = {}, {}
    for filename, data in files.items():
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise ConfigError(f"{name}: {filename} is not valid JSON ({exc})") from exc
        if filename == INDEX:
            index = parsed.get("documents", {}) if isinstance(parsed, dict) else {}
        elif isinstance(parsed, dict) and "summary" in parsed:
            outputs[Path(filename).stem] = parsed
    return Side(name, outputs, index)


def from_folder(folder: Path) -> Side:
    from pipeline.outputs import display_path

    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}
    return _parse(display_path(folder) + "/", files)


def _repo_root(cwd: Path) -> Path | None:
    done = _git(["rev-parse", "--show-toplevel"], cwd)
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def from_revision(revision: str, outputs: Path) -> Side:
    root = _repo_root(outputs.parent if outputs.parent.is_dir() else Path.cwd())
    if root is None:
        raise ConfigError(f"{revision!r} is not a folder, and {outputs} is not in a git repository")
    prefix = outputs.resolve().relative_to(root.resolve()).as_posix()
    listing = _git(["ls-tree", "-z", "--name-only", f"{revision}:{prefix}"], root)
    if listing.returncode != 0:
        verify = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root)
        if verify.returncode != 0:
            raise ConfigError(f"{revision!r} is neither a folder nor a git revision")
        return Side(f"{revision}:{prefix}", {}, {})  # the revision has no outputs yet
    names = [n for n in listing.stdout.decode().split("\0") if n.endswith(".json")]
    files: dict[str, bytes] = {}
    if names:
        # one git process for all files: ask cat-file for each blob in turn
        spec = "".join(f"{revision}:{prefix}/{n}\n" for n in names).encode()
        done = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=root, input=spec, capture_output=True, check=True
        )
        data, pos = done.stdout, 0
        for name in names:
            header_end = data.index(b"\n", pos)
            size = int(data[pos:header_end].split()[2])
            files[name] = data[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
    return _parse(f"{revision}:{prefix}", files)


def resolve(spec: str | None, outputs: Path, default: str) -> Side:
    """A side named on the command line: a folder, a revision, or the default."""
    spec = spec or default
    if spec == "WORKTREE":
        return from_folder(outputs) if outputs.is_dir() else Side(str(outputs), {}, {})
    path = Path(spec)
    if path.is_dir():
        return from_folder(path)
    return from_revision(spec, outputs)
