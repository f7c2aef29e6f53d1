"""The reviewed glossary of names (``glossary.yaml``): Chinese forms -> English name.

Used three ways: the entries relevant to an article go into the reduce prompt, each
summary's entities are checked against it, and ``bisum glossary`` lists the names seen in
outputs that it does not cover yet, for review.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import ConfigError
from pipeline.schemas import BilingualSummary, Problem
from pipeline.script import convert
from pipeline.yamlfile import YAMLError, load_yaml


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    zh: list[str]
    kind: Literal["person", "organization", "place", "product", "other"] = "other"
    also: list[str] = []  # other accepted English forms in running text (US, U.S.)

    def english_forms(self) -> list[str]:
        forms = [self.en, *self.also]
        if self.kind == "person":
            forms.append(self.en.split()[-1])  # a surname will do in running text
        return [f.lower() for f in forms]


def _key(name: str) -> str:
    """A Chinese name in one script, without spaces or name dots, for lookups."""
    return re.sub(r"[\s·・.]", "", convert(name, "zh-Hans")).lower()


@dataclass(frozen=True)
class Glossary:
    entries: tuple[Entry, ...] = ()

    @cached_property
    def by_zh(self) -> dict[str, Entry]:
        return {_key(form): e for e in self.entries for form in e.zh}

    @cached_property
    def digest(self) -> str:
        """A short hash of the entries: part of each output's fingerprint."""
        data = json.dumps(
            [e.model_dump() for e in self.entries], sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:12] if self.entries else ""

    def lookup(self, zh_name: str) -> Entry | None:
        return self.by_zh.get(_key(zh_name))

    def relevant(self, text: str) -> list[Entry]:
        """Entries whose Chinese or English form occurs in ``text``, in glossary order."""
        folded = _key(text)
        return [
            e
            for e in self.entries
            if e.en.lower() in text.lower() or any(_key(f) in folded for f in e.zh)
        ]

    def prompt_lines(self, text: str) -> str:
        entries = self.relevant(text)
        if not entries:
            return "(no listed names in these notes)"
        return "\n".join(f"- {' / '.join(e.zh)}: {e.en}" for e in entries)

    def check(self, summary: BilingualSummary) -> list[Problem]:
        """Each entity the glossary knows must carry its English name, and a summary
        that names it in Chinese must name it in English too (a surname will do)."""
        problems = []
        for entity in summary.entities:
            entry = self.lookup(entity.zh)
            if entry and entity.en.strip().lower() != entry.en.lower():
                problems.append(
                    Problem(
                        check="names",
                        message=f"{entity.zh} is {entry.en!r} in the glossary, not {entity.en!r}",
                    )
                )
        zh = " ".join([summary.zh.headline, summary.zh.summary, *summary.zh.key_points])
        en = " ".join([summary.en.headline, summary.en.summary, *summary.en.key_points]).lower()
        for entry in self.relevant(zh):
            if not any(re.search(rf"\b{re.escape(form)}\b", en) for form in entry.english_forms()):
                problems.append(
                    Problem(
                        check="names",
                        message=f"zh names {entry.en} ({'/'.join(entry.zh[:2])}); en does not",
                    )
                )
        return problems


def load_glossary(path: Path) -> Glossary:
    if not path.is_file():
        return Glossary()
    try:
        data = load_yaml(path.read_text("utf-8")) or {}
        return Glossary(tuple(Entry.model_validate(e) for e in data.get("entries", [])))
    except (YAMLError, ValidationError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a valid glossary: {exc}") from exc


def unknown_names(glossary: Glossary, outputs: list[dict]) -> dict[tuple[str, str, str], list[str]]:
    """(zh, en, kind) of entities in outputs that the glossary lacks -> doc ids."""
    seen: dict[tuple[str, str, str], list[str]] = {}
    for output in outputs:
        for entity in output["summary"]["entities"]:
            if glossary.lookup(entity["zh"]) is None:
                key = (entity["zh"], entity["en"], entity["kind"])
                seen.setdefault(key, []).append(output["doc_id"])
    return dict(sorted(seen.items()))
