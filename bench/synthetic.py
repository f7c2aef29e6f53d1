"""Synthetic news documents for benchmarks, made from the sample corpus's paragraphs.

Deterministic for a seed: document i always has the same title and paragraphs. Each
document has a unique title (which the stub server's request log uses to attribute
requests to documents) and three to eight paragraphs drawn from the five articles.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

from pipeline.clean import clean

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@cache
def paragraphs() -> tuple[str, ...]:
    found = []
    for path in sorted(CORPUS.glob("*.txt")):
        found.extend(p for p in clean(path.read_text("utf-8")).paragraphs if len(p) >= 40)
    return tuple(found)


def document(i: int, seed: int = 7, low: int = 3, high: int = 8) -> str:
    rng = random.Random(seed * 1_000_003 + i)
    pool = paragraphs()
    body = "\n\n".join(rng.sample(pool, rng.randint(low, high)))
    return f'---\ntitle: "合成新聞 {i:05d}"\ndate: 2025-01-01\n---\n\n{body}\n'


def write(folder: Path, count: int, seed: int = 7, **sizes: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"doc_{i:05d}.md"
        path.write_text(document(i, seed, **sizes), "utf-8")
        paths.append(path)
    return paths


def edit_one_paragraph(path: Path, seed: int = 11) -> None:
    """Append a sentence to one paragraph: a local edit, as a correction would be."""
    text = path.read_text("utf-8")
    head, body = text.split("---\n\n", 1)
    parts = body.split("\n\n")
    k = random.Random(f"{seed}:{path.name}").randrange(len(parts))
    parts[k] = parts[k].rstrip("\n") + "（本段已更新。）"
    path.write_text(head + "---\n\n" + "\n\n".join(parts), "utf-8")
