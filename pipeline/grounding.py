"""Checks that the figures of a summary are the source's figures, in both languages.

Pure functions over plain strings, each returning the problems found, worded so that a
reader can verify them against the source:

- ``check_grounded``: every figure of a summary matches a figure of the source (by value
  and unit, with ``figures``' rounding tolerance), and no change figure flips direction
  (the source says costs *fall* 10x, the summary that they *rise* 10x);
- ``check_parity``: the Chinese and the English summary carry the same figures.

A bare number in the source may ground a figure with a unit (sources often write
``從 10 億美元加注到 100 億`` and leave the second currency implied), but never one of
another scale or a different unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.figures import Figure, extract, same_figure


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    figure: str


def _match(figure: Figure, pool: list[Figure], *, loose: bool) -> Figure | None:
    return next((c for c in pool if same_figure(figure, c, loose=loose)), None)


def _grounding(figure: Figure, pool: list[Figure]) -> tuple[Figure | None, Figure | None]:
    """(a source figure that grounds it, a source figure whose direction contradicts it).

    Among the source figures of the same value, one going the same way grounds a change;
    failing that, one going the other way contradicts it, even where others of that value
    say nothing of direction (they are usually other facts)."""
    plain = Figure(**{**figure.__dict__, "direction": 0})
    same_value = [
        c for c in pool if same_figure(plain, Figure(**{**c.__dict__, "direction": 0}), loose=True)
    ]
    if not same_value:
        return None, None
    if figure.direction == 0:
        return same_value[0], None
    agreeing = [c for c in same_value if c.direction == figure.direction]
    if agreeing:
        return agreeing[0], None
    opposed = [c for c in same_value if c.direction == -figure.direction]
    return (None, opposed[0]) if opposed else (same_value[0], None)


def check_grounded(
    summary_text: str,
    source_text: str,
    *,
    source: list[Figure] | None = None,
    label: str = "summary",
) -> list[Problem]:
    pool = source if source is not None else extract(source_text)
    problems = []
    for figure in extract(summary_text):
        grounded, opposed = _grounding(figure, pool)
        if grounded is not None:
            continue
        if opposed is not None:
            way = "rises" if figure.direction > 0 else "falls"
            problems.append(
                Problem(
                    "direction",
                    f"{label} says {figure.text} {way}, but in the source {opposed.text} goes the "
                    "other way",
                    figure.text,
                )
            )
        else:
            problems.append(
                Problem(
                    "grounded",
                    f"{label} figure {figure.text} ({_reading(figure)}) is not in the source",
                    figure.text,
                )
            )
    return problems


def check_parity(zh_text: str, en_text: str) -> list[Problem]:
    zh, en = extract(zh_text), extract(en_text)
    problems = []
    for figure, other, side, other_side in ((f, en, "zh", "en") for f in zh):
        if _match(figure, other, loose=True) is None:
            problems.append(
                Problem(
                    "parity",
                    f"{side} states {figure.text} ({_reading(figure)}); {other_side} "
                    "has no such figure",
                    figure.text,
                )
            )
    for figure in en:
        if _match(figure, zh, loose=True) is None:
            problems.append(
                Problem(
                    "parity",
                    f"en states {figure.text} ({_reading(figure)}); zh has no such figure",
                    figure.text,
                )
            )
    return problems


def _reading(figure: Figure) -> str:
    """How the figure was read, so a reader can see why it does not match."""
    if figure.unit in ("year", "date", "quarter"):
        return f"{figure.unit} {int(figure.value)}"
    value = figure.value
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            amount = f"{value / size:,.4g} {word}"
            break
    else:
        amount = f"{value:,.6g}"
    return f"{amount} {figure.unit}".strip()
