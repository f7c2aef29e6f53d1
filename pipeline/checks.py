"""Checks of a finished summary against its source, run on every reduce output.

(a) grounded: every figure in ``zh`` and ``en`` is a figure of the cleaned source, and no
    change goes the other way; (b) parity: ``zh`` and ``en`` carry the same figures;
(c) the structured ``figures`` list agrees with the text; (d) names follow the glossary.

A failed check is not a failed document: the pipeline re-asks once naming the problems,
and if they remain the output is written with status ``needs_review`` and the problems
listed, so that nothing is silently dropped or silently kept.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.figures import Figure, extract, same_figure
from pipeline.glossary import Glossary
from pipeline.grounding import check_grounded, check_parity
from pipeline.schemas import BilingualSummary, LanguageSummary, Problem

Review = Callable[[BilingualSummary], list[Problem]]
LISTED_KINDS = ("money", "percent", "power", "multiple")  # figures the list must carry


def _text(part: LanguageSummary) -> str:
    return "\n".join([part.headline, part.summary, *part.key_points])


def _in(figure: Figure, pool: list[Figure]) -> bool:
    return any(same_figure(figure, other, loose=True) for other in pool)


def check_figure_list(summary: BilingualSummary, source: list[Figure]) -> list[Problem]:
    problems = []
    texts = {"zh": extract(_text(summary.zh)), "en": extract(_text(summary.en))}
    listed: dict[str, list[Figure]] = {"zh": [], "en": []}
    for i, item in enumerate(summary.figures):
        for side in ("zh", "en"):
            for figure in extract(getattr(item, side)):
                listed[side].append(figure)
                if not _in(figure, texts[side]):
                    problems.append(
                        Problem(
                            check="figures",
                            message=f"figures[{i}].{side} {figure.text} is not in the "
                            f"{side} summary",
                        )
                    )
        for figure in extract(item.source):
            if not _in(figure, source):
                problems.append(
                    Problem(
                        check="figures",
                        message=f"figures[{i}].source {figure.text} is not in the source",
                    )
                )
    for side, found in texts.items():
        for figure in found:
            if figure.kind in LISTED_KINDS and not _in(figure, listed[side]):
                problems.append(
                    Problem(
                        check="figures",
                        message=f"{side} figure {figure.text} is missing from the figures list",
                    )
                )
    return problems


def review_summary(
    summary: BilingualSummary, source_text: str, source: list[Figure], glossary: Glossary
) -> list[Problem]:
    zh, en = _text(summary.zh), _text(summary.en)
    found = [
        *check_grounded(zh, source_text, source=source, label="zh"),
        *check_grounded(en, source_text, source=source, label="en"),
        *check_parity(zh, en),
    ]
    problems = [Problem(check=p.check, message=p.message) for p in found]
    problems += check_figure_list(summary, source)
    problems += glossary.check(summary)
    unique: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.check, problem.message), problem)
    return list(unique.values())


def reviewer(glossary: Glossary) -> Callable[[str], Review]:
    """For a source text, the review of any summary of it (source figures read once)."""

    def for_source(source_text: str) -> Review:
        source = extract(source_text)
        return lambda summary: review_summary(summary, source_text, source, glossary)

    return for_source
