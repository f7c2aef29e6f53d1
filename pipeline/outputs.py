"""The output files: ``<doc_id>.json``, ``<doc_id>.md`` and ``index.json``.

Everything written here is deterministic (sorted keys, no wall-clock time, no run
counters) so that the same inputs give the same bytes, and git shows only real changes.
Run times, cache hits and retries belong to the run log, not to outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.chunk import CHUNKER_VERSION
from pipeline.clean import CLEANER_VERSION
from pipeline.files import write_text_atomic
from pipeline.prompts import PromptSet
from pipeline.schemas import SCHEMA_VERSION, Fingerprint, OutputDocument
from pipeline.settings import Settings

INDEX = "index.json"


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def fingerprint(
    source_sha256: str, settings: Settings, prompts: PromptSet, glossary: str = ""
) -> Fingerprint:
    return Fingerprint(
        source=source_sha256,
        cleaner=CLEANER_VERSION,
        chunker=f"v{CHUNKER_VERSION}/{settings.encoding_name}/{settings.chunk_tokens}",
        prompts=prompts.refs(),
        model=settings.model,
        schema_version=SCHEMA_VERSION,
        script=settings.script,
        params=(
            f"temperature={settings.temperature} seed={settings.seed} "
            f"map_max_tokens={settings.map_max_tokens} "
            f"reduce_max_tokens={settings.reduce_max_tokens} "
            f"reduce_tokens={settings.reduce_tokens}"
        ),
        glossary=glossary,
    )


def stale_reasons(
    previous: OutputDocument | None, new: Fingerprint, failed_before: bool
) -> list[str]:
    """Why a document must be recomputed; empty when its output is up to date."""
    if previous is None:
        return ["failed last time"] if failed_before else ["new"]
    found = previous.fingerprint.differences(new)
    return [*found, "failed last time"] if failed_before else found


def display_path(path: Path) -> str:
    """A source path as recorded in outputs: relative to the working folder when inside it."""
    if not path.is_absolute() and ".." not in path.parts:
        return path.as_posix()  # already relative to the working folder
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_posix()


def render_json(output: OutputDocument) -> str:
    return dumps(output.model_dump(mode="json"))


def read_output(path: Path) -> OutputDocument | None:
    """An existing output file, or None when it is missing or not a valid output."""
    try:
        return OutputDocument.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def write_output(directory: Path, output: OutputDocument) -> bool:
    """Write the JSON and Markdown files; True if either changed on disk."""
    from pipeline.markdown import render_markdown

    # the folder itself is synced once per run, by the runner
    json_path, md_path = directory / f"{output.doc_id}.json", directory / f"{output.doc_id}.md"
    changed = write_text_atomic(json_path, render_json(output), sync_dir=False)
    changed |= write_text_atomic(md_path, render_markdown(output), sync_dir=False)
    return changed


def remove_output(directory: Path, doc_id: str) -> None:
    for suffix in (".json", ".md"):
        (directory / f"{doc_id}{suffix}").unlink(missing_ok=True)


def index_entry(output: OutputDocument) -> dict[str, Any]:
    return {
        "status": output.status,
        "fingerprint": output.fingerprint.model_dump(mode="json"),
        "provenance": output.provenance.model_dump(mode="json"),
        "checks": [c.check for c in output.checks],
        "source": output.source.path,
    }


def failed_entry(source: str, error: str, fp: Fingerprint | None) -> dict[str, Any]:
    return {
        "status": "failed",
        "error": error,
        "source": source,
        "fingerprint": fp.model_dump(mode="json") if fp else None,
    }


def read_index(directory: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((directory / INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    documents = data.get("documents") if isinstance(data, dict) else None
    return documents if isinstance(documents, dict) else {}


def write_index(directory: Path, documents: dict[str, dict[str, Any]]) -> bool:
    counts: dict[str, int] = {}
    for entry in documents.values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return write_text_atomic(
        directory / INDEX,
        dumps({"schema_version": SCHEMA_VERSION, "counts": counts, "documents": documents}),
    )
