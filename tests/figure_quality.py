"""Scoring of the figure checks on the hand-written test set in tests/data.

``figure_triples.jsonl``: correct (source phrase, zh, en) triples from the sample corpus.
``figure_corrupted.jsonl``: the same sentences with one figure corrupted (wrong scale,
wrong unit, swapped with another figure of the article, invented, or a change whose
direction is flipped) on one side or both. Used by tests/test_figures.py and by
``python -m tests.figure_quality``, which prints the table.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.clean import clean
from pipeline.figures import extract
from pipeline.grounding import Problem, check_grounded, check_parity

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).parents[1] / "corpus"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


@cache
def source(doc: str):
    """The cleaned article and its figures, as the pipeline checks against them."""
    text = clean((CORPUS / f"{doc}.txt").read_text("utf-8")).text
    return text, extract(text)


def problems(doc: str, zh: str, en: str) -> list[Problem]:
    text, figures = source(doc)
    return (
        check_grounded(zh, text, source=figures, label="zh")
        + check_grounded(en, text, source=figures, label="en")
        + check_parity(zh, en)
    )


@dataclass
class Score:
    triples: int = 0
    false_alarms: list[tuple[dict, list[Problem]]] = field(default_factory=list)
    corrupted: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    missed: list[dict] = field(default_factory=list)
    by_check: Counter = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return sum(self.caught.values()) / max(1, sum(self.corrupted.values()))

    @property
    def precision(self) -> float:
        flagged = sum(self.caught.values()) + len(self.false_alarms)
        return sum(self.caught.values()) / max(1, flagged)


def score() -> Score:
    result = Score()
    triples = load("figure_triples.jsonl")
    for triple in triples:
        result.triples += 1
        found = problems(triple["doc"], triple["zh"], triple["en"])
        if found:
            result.false_alarms.append((triple, found))
    for variant in load("figure_corrupted.jsonl"):
        base = triples[variant["of"]]
        kind = variant["corruption"]
        result.corrupted[kind] += 1
        found = problems(base["doc"], variant["zh"], variant["en"])
        if found:
            result.caught[kind] += 1
            result.by_check.update({p.check for p in found})
        else:
            result.missed.append(variant)
    return result


def main() -> None:
    s = score()
    print(f"correct triples: {s.triples}, false alarms: {len(s.false_alarms)}")
    print(f"{'corruption':<18}{'variants':>9}{'caught':>8}")
    for kind in sorted(s.corrupted):
        print(f"{kind:<18}{s.corrupted[kind]:>9}{s.caught[kind]:>8}")
    total = sum(s.corrupted.values())
    print(f"{'all':<18}{total:>9}{sum(s.caught.values()):>8}")
    print(f"recall {s.recall:.3f}  precision {s.precision:.3f}")
    print(
        "checks that fired on corrupted variants: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s.by_check.items()))
    )
    grouped = defaultdict(list)
    for triple, found in s.false_alarms:
        grouped[triple["doc"]].append((triple, found))
    for doc, items in grouped.items():
        for triple, found in items:
            print(f"FALSE ALARM {doc}: {triple['zh']} | {triple['en']}")
            for p in found:
                print(f"    {p.check}: {p.message}")
    for variant in s.missed:
        print(f"MISSED {variant['corruption']}: {variant['zh']} | {variant['en']}")


if __name__ == "__main__":
    main()
