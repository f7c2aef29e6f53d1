"""``bisum inspect``: what the pipeline makes of a document before any model sees it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.chunk import chunk
from pipeline.clean import clean, source_link
from pipeline.encodings import get_encoding
from pipeline.errors import DocumentError
from pipeline.load import discover, load
from pipeline.outputs import display_path
from pipeline.settings import Settings


def inspect_document(path: Path, settings: Settings) -> dict[str, Any]:
    report: dict[str, Any] = {"doc_id": path.stem, "path": display_path(path)}
    try:
        doc = load(path)
    except DocumentError as exc:
        report["error"] = str(exc)
        return report
    cleaned = clean(doc.text)
    enc = get_encoding(settings.encoding_name)
    chunks = chunk(cleaned.text, settings.chunk_tokens, enc)
    metadata = doc.metadata.as_dict()
    if not metadata.get("source_url") and source_link(cleaned):
        metadata["source_url"] = source_link(cleaned)
    report.update(
        encoding=doc.encoding,
        format=doc.format,
        sha256=doc.sha256,
        metadata=metadata,
        warnings=list(doc.warnings),
        cleaner_version=cleaned.version,
        characters={"input": len(doc.text), "cleaned": len(cleaned.text)},
        removed=[{"rule": r.rule, "line": r.line, "text": r.text} for r in cleaned.removed],
        text=cleaned.text,
        encoding_name=enc.name,
        chunk_budget=settings.chunk_tokens,
        chunks=[
            {
                "index": c.index,
                "tokens": c.tokens,
                "characters": len(c.text),
                "sha256": c.sha256,
                "text": c.text,
            }
            for c in chunks
        ],
    )
    return report


def inspect_paths(paths: list[Path], settings: Settings) -> list[dict[str, Any]]:
    return [inspect_document(p, settings) for p in discover(paths)]


def print_inspection(console: Console, reports: list[dict[str, Any]]) -> None:
    for r in reports:
        console.rule(f"[bold]{r['doc_id']}[/]  {r['path']}")
        if r.get("error"):
            console.print(f"[red]cannot load:[/] {r['error']}")
            continue
        console.print(
            f"encoding {r['encoding']} · {r['format']} · cleaner v{r['cleaner_version']} · "
            f"{r['characters']['input']:,} -> {r['characters']['cleaned']:,} characters"
        )
        for key, value in r["metadata"].items():
            console.print(f"  {key}: {value}")
        for warning in r["warnings"]:
            console.print(f"  [yellow]warning:[/] {warning}")
        counts = Counter(x["rule"] for x in r["removed"])
        table = Table(title="removed", show_lines=False)
        table.add_column("rule")
        table.add_column("line", justify="right")
        table.add_column("text")
        for x in r["removed"]:
            if x["rule"] in ("ruby", "markup") and counts[x["rule"]] > 3:
                continue  # summarised below instead of listed one by one
            text = x["text"].replace("\n", " ⏎ ")
            table.add_row(x["rule"], str(x["line"]), text[:100] + ("…" if len(text) > 100 else ""))
        for rule in ("ruby", "markup"):
            if counts[rule] > 3:
                sample = " ".join(x["text"] for x in r["removed"] if x["rule"] == rule)[:60]
                table.add_row(rule, "", f"{counts[rule]} spans, e.g. {sample}")
        console.print(table)
        console.print("[bold]cleaned text[/]")
        console.print(r["text"], markup=False)
        chunks = Table(title=f"chunks ({r['encoding_name']}, budget {r['chunk_budget']} tokens)")
        for column in ("#", "tokens", "chars", "starts with"):
            chunks.add_column(column)
        for c in r["chunks"]:
            chunks.add_row(
                str(c["index"]),
                str(c["tokens"]),
                str(c["characters"]),
                c["text"][:40].replace("\n", " "),
            )
        console.print(chunks)
