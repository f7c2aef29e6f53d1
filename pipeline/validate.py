"""Checks on a summary beyond its schema: language, script and lengths.

Each check returns readable problems; an answer with problems is re-asked once with them.
The bounds are looser than what the prompt asks for, so that a good answer never fails
on a technicality, while an empty, truncated or wrong-language one always does.
"""

from __future__ import annotations

from pipeline.schemas import BilingualSummary, ChunkNotes, LanguageSummary
from pipeline.script import convert, han_ratio, off_script

BOUNDS = {
    # field: (min, max) in characters for zh, in words for en
    ("zh", "headline"): (4, 40),
    ("zh", "summary"): (60, 700),
    ("zh", "key_point"): (4, 150),
    ("en", "headline"): (3, 25),
    ("en", "summary"): (40, 450),
    ("en", "key_point"): (3, 70),
}
KEY_POINTS = (2, 8)


def _size(text: str, language: str) -> int:
    return len(text.strip()) if language == "zh" else len(text.split())


def _unit(language: str) -> str:
    return "characters" if language == "zh" else "words"


def _lengths(part: LanguageSummary, language: str) -> list[str]:
    problems = []
    fields = [("headline", part.headline), ("summary", part.summary)]
    fields += [(f"key_points[{i}]", p) for i, p in enumerate(part.key_points)]
    for name, text in fields:
        low, high = BOUNDS[(language, "key_point" if name.startswith("key") else name)]
        size = _size(text, language)
        if not low <= size <= high:
            problems.append(
                f"{language}.{name} has {size} {_unit(language)}; it must have {low} to {high}"
            )
    low, high = KEY_POINTS
    if not low <= len(part.key_points) <= high:
        problems.append(
            f"{language}.key_points has {len(part.key_points)} items; need {low}-{high}"
        )
    return problems


def _texts(part: LanguageSummary) -> list[str]:
    return [part.headline, part.summary, *part.key_points]


def check_summary(summary: BilingualSummary, script: str) -> list[str]:
    problems = _lengths(summary.zh, "zh") + _lengths(summary.en, "en")
    zh = "\n".join(_texts(summary.zh))
    en = "\n".join(_texts(summary.en))
    if han_ratio(zh) < 0.6:
        problems.append("zh is not written in Chinese")
    if han_ratio(en) > 0.02:
        problems.append("en contains Chinese characters; write every part of en in English")
    stray = off_script(zh, script)
    if stray:
        problems.append(f"zh must be in {script}; these characters are not: {''.join(stray[:20])}")
    for i, entity in enumerate(summary.entities):
        if han_ratio(entity.en) > 0:
            problems.append(f"entities[{i}].en must be the English name, not {entity.en!r}")
    for i, figure in enumerate(summary.figures):
        if not figure.zh.strip() or not figure.en.strip():
            problems.append(f"figures[{i}] needs both its zh and its en form")
    return problems


def check_notes(notes: ChunkNotes) -> list[str]:
    if not notes.facts:
        return ["facts is empty: note at least one fact from the text"]
    return []


def to_script(summary: BilingualSummary, script: str) -> BilingualSummary:
    """The summary with every Chinese field converted to ``script``."""

    def part(p: LanguageSummary) -> LanguageSummary:
        return LanguageSummary(
            headline=convert(p.headline, script),
            summary=convert(p.summary, script),
            key_points=[convert(k, script) for k in p.key_points],
        )

    return summary.model_copy(
        update={
            "zh": part(summary.zh),
            "figures": [
                f.model_copy(update={"zh": convert(f.zh, script)}) for f in summary.figures
            ],
            "entities": [
                e.model_copy(update={"zh": convert(e.zh, script)}) for e in summary.entities
            ],
        }
    )
