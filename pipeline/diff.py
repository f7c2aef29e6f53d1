"""What changed between two sets of outputs, and whether any fact changed.

Each field of each summary (zh and en headline, summary, key points; figures; entities)
is classified, mildest first:

- ``unchanged``
- ``formatting only``: equal once width (，/,), whitespace and CJK/Latin spacing are
  normalised
- ``wording changed``: the text differs but carries the same figures and names
- ``facts changed``: a figure or a name was added, removed or altered. Figures are
  compared by normalised value and unit (``pipeline.figures``), not as strings, so
  ``$500 billion`` -> ``500 billion US dollars`` is wording, ``5000億美元`` -> ``5萬億美元``
  is a fact.

A document takes the class of its worst field. Documents added, removed, newly failed or
newly flagged for review come first in every report. Pure: inputs are two mappings of
doc_id -> output JSON (and index entries); ``pipeline.diffsource`` reads them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline import figures  # noqa: I001 (the normaliser is shared with the checks)

CLASSES = ("unchanged", "formatting only", "wording changed", "facts changed")
RANK = {name: i for i, name in enumerate(CLASSES)}
TEXT_FIELDS = ("headline", "summary", "key_points")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f"
_SPACE_AROUND_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text with formatting differences removed: full-width forms, spacing, CJK gaps."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE_AROUND_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class FieldChange:
    field: str  # e.g. "zh.summary", "en.key_points", "figures"
    kind: str  # one of CLASSES
    old: Any
    new: Any
    facts: tuple[str, ...] = ()  # what made it a fact change, readable


@dataclass
class DocChange:
    doc_id: str
    status: str  # added | removed | changed | unchanged
    kind: str  # worst field class, or the status for added/removed
    old_status: str | None = None
    new_status: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)  # "model a -> b", "reduce v1 -> v2"

    @property
    def flag(self) -> str | None:
        """Newly failed, newly flagged for review, or cleared of both."""
        old, new = self.old_status, self.new_status
        if new == "failed" and old != "failed":
            return "newly failed"
        if new == "needs_review" and old != "needs_review":
            return "newly flagged"
        if old in ("failed", "needs_review") and new == "ok":
            return "cleared"
        return None

    @property
    def first(self) -> bool:
        """Listed before plain changes: added, removed, newly failed or flagged."""
        return self.status in ("added", "removed") or self.flag in ("newly failed", "newly flagged")


@dataclass
class Diff:
    base: str
    head: str
    documents: list[DocChange]

    def counts(self) -> dict[str, int]:
        return dict(Counter(d.kind for d in self.documents))

    @property
    def changed(self) -> list[DocChange]:
        return [d for d in self.documents if d.kind != "unchanged" or d.flag or d.provenance]

    def ordered(self) -> list[DocChange]:
        return sorted(self.changed, key=lambda d: (not d.first, -_rank(d.kind), d.doc_id))

    def provenance_rollup(self) -> dict[str, int]:
        return dict(Counter(p for d in self.documents for p in d.provenance))

    def has(self, level: str) -> bool:
        """For --fail-on: any change at all, or a change of facts (or a new failure)."""
        if level == "any":
            return bool(self.changed)
        return any(
            d.kind in ("facts changed", "added", "removed") or d.flag == "newly failed"
            for d in self.documents
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "counts": self.counts(),
            "provenance": self.provenance_rollup(),
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "status": d.status,
                    "kind": d.kind,
                    "flag": d.flag,
                    "old_status": d.old_status,
                    "new_status": d.new_status,
                    "provenance": d.provenance,
                    "fields": [
                        {"field": f.field, "kind": f.kind, "facts": list(f.facts)}
                        for f in d.fields
                        if f.kind != "unchanged"
                    ],
                }
                for d in self.ordered()
            ],
        }


def _rank(kind: str) -> int:
    return RANK.get(kind, len(CLASSES))


def _figure_keys(texts: list[str]) -> list[figures.Figure]:
    found: list[figures.Figure] = []
    for text in texts:
        found.extend(figures.extract(text))
    return found


def _unmatched(old: list[figures.Figure], new: list[figures.Figure]) -> tuple[list, list]:
    """Figures of each side with no equal figure on the other side (as multisets)."""
    remaining = list(new)
    lost = []
    for figure in old:
        match = next((i for i, f in enumerate(remaining) if figures.same_figure(figure, f)), None)
        if match is None:
            lost.append(figure)
        else:
            remaining.pop(match)
    return lost, remaining


def _figure_facts(old_texts: list[str], new_texts: list[str]) -> tuple[str, ...]:
    lost, gained = _unmatched(_figure_keys(old_texts), _figure_keys(new_texts))
    facts = [f"figure removed: {f.text}" for f in lost]
    facts += [f"figure added: {f.text}" for f in gained]
    return tuple(facts)


def _names(entities: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Normalised (zh, en) of each entity -> how it reads, for messages."""
    return {
        (
            normalise(e.get("zh", "")),
            normalise(e.get("en", "")).lower(),
        ): f"{e.get('zh', '')} / {e.get('en', '')}"
        for e in entities
    }


def _classify_text(name: str, old: Any, new: Any) -> FieldChange:
    old_list = old if isinstance(old, list) else [old]
    new_list = new if isinstance(new, list) else [new]
    if old_list == new_list:
        return FieldChange(name, "unchanged", old, new)
    if [normalise(t) for t in old_list] == [normalise(t) for t in new_list]:
        return FieldChange(name, "formatting only", old, new)
    facts = _figure_facts(old_list, new_list)
    return FieldChange(name, "facts changed" if facts else "wording changed", old, new, facts)


def _classify_figures(old: list[dict], new: list[dict]) -> FieldChange:
    if old == new:
        return FieldChange("figures", "unchanged", old, new)
    facts: list[str] = []
    for side in ("zh", "en", "source"):
        lost, gained = _unmatched(
            _figure_keys([f[side] for f in old]), _figure_keys([f[side] for f in new])
        )
        facts += [f"{side} figure removed: {f.text}" for f in lost]
        facts += [f"{side} figure added: {f.text}" for f in gained]
    if facts:
        return FieldChange("figures", "facts changed", old, new, tuple(facts))
    same_text = [normalise(str(f)) for f in old] == [normalise(str(f)) for f in new]
    return FieldChange("figures", "formatting only" if same_text else "wording changed", old, new)


def _classify_entities(old: list[dict], new: list[dict]) -> FieldChange:
    if old == new:
        return FieldChange("entities", "unchanged", old, new)
    before, after = _names(old), _names(new)
    if before.keys() == after.keys():
        return FieldChange("entities", "formatting only", old, new)
    facts = tuple(
        [f"name removed: {before[k]}" for k in sorted(before.keys() - after.keys())]
        + [f"name added: {after[k]}" for k in sorted(after.keys() - before.keys())]
    )
    return FieldChange("entities", "facts changed", old, new, facts)


def _provenance(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    if old.get("model") != new.get("model"):
        changes.append(f"model {old.get('model')} -> {new.get('model')}")
    old_prompts, new_prompts = old.get("prompts", {}), new.get("prompts", {})
    for stage in sorted(set(old_prompts) | set(new_prompts)):
        a = old_prompts.get(stage, "none").split("#")[0]
        b = new_prompts.get(stage, "none").split("#")[0]
        if a != b:
            changes.append(f"prompt {a} -> {b.split('@')[-1]}")
    return changes


def compare_document(doc_id: str, old: dict[str, Any], new: dict[str, Any]) -> DocChange:
    if old == new:  # the common case in a review: nothing to analyse
        return DocChange(doc_id, "unchanged", "unchanged", old.get("status"), new.get("status"))
    fields: list[FieldChange] = []
    for language in ("zh", "en"):
        for name in TEXT_FIELDS:
            fields.append(
                _classify_text(
                    f"{language}.{name}",
                    old["summary"][language][name],
                    new["summary"][language][name],
                )
            )
    fields.append(_classify_figures(old["summary"]["figures"], new["summary"]["figures"]))
    fields.append(_classify_entities(old["summary"]["entities"], new["summary"]["entities"]))
    worst = max((f.kind for f in fields), key=_rank)
    return DocChange(
        doc_id,
        "changed" if worst != "unchanged" else "unchanged",
        worst,
        old.get("status"),
        new.get("status"),
        fields,
        _provenance(old.get("provenance", {}), new.get("provenance", {})),
    )


def _status(doc_id: str, outputs: dict, index: dict) -> str | None:
    """A failure is recorded in the index (the last good output is kept on disk); any
    other status is the output's own."""
    listed = index.get(doc_id, {}).get("status")
    if listed == "failed":
        return listed
    return outputs.get(doc_id, {}).get("status") or listed


def compare(
    base: dict[str, dict[str, Any]],
    head: dict[str, dict[str, Any]],
    *,
    base_index: dict[str, dict[str, Any]] | None = None,
    head_index: dict[str, dict[str, Any]] | None = None,
    base_name: str = "base",
    head_name: str = "head",
) -> Diff:
    """Compare two trees of outputs (doc_id -> output JSON), with their index entries
    for documents that have no output (failed ones)."""
    base_index, head_index = base_index or {}, head_index or {}
    documents: list[DocChange] = []
    ids = sorted(set(base) | set(head) | set(base_index) | set(head_index))
    for doc_id in ids:
        old_status = _status(doc_id, base, base_index)
        new_status = _status(doc_id, head, head_index)
        if doc_id in base and doc_id in head:
            change = compare_document(doc_id, base[doc_id], head[doc_id])
            change.old_status, change.new_status = old_status, new_status
        elif doc_id in head:
            change = DocChange(doc_id, "added", "added", old_status, new_status)
        elif doc_id in base and new_status != "failed":
            change = DocChange(doc_id, "removed", "removed", old_status, new_status)
        else:  # no output on one side: a failure, kept in the index only
            change = DocChange(doc_id, "unchanged", "unchanged", old_status, new_status)
        documents.append(change)
    return Diff(base_name, head_name, documents)


def segments(old: str, new: str, language: str) -> list[tuple[str, str]]:
    """An inline diff: (op, text) with op in "=", "-", "+". Chinese is compared character
    by character, English word by word (whitespace kept with the word it follows)."""
    split = list if language == "zh" else (lambda s: re.findall(r"\S+\s*|\s+", s))
    a, b = split(old), split(new)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("-", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("+", "".join(b[j1:j2])))
    return out
