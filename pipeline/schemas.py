"""Schemas of every LLM answer and of the output file.

The LLM-facing models (``ChunkNotes``, ``BilingualSummary``) are what structured output
asks for; ``strict_schema`` turns them into the subset of JSON Schema that OpenAI's strict
mode accepts. ``OutputDocument`` is the file written to ``outputs/<doc_id>.json``; its
JSON Schema is what ``bisum schema`` prints. Bump ``SCHEMA_VERSION`` with any change here:
it is part of every output's fingerprint.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "2"

EntityKind = Literal["person", "organization", "place", "product", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- map / collapse answer ----


class NoteFigure(_Strict):
    text: str = Field(description="the figure exactly as written in the source, e.g. 5000億美元")
    about: str = Field(description="what the figure measures, in Chinese")


class NoteEntity(_Strict):
    name: str = Field(description="the name as written in the source")
    en: str = Field(description="the usual English name")
    kind: EntityKind


class ChunkNotes(_Strict):
    """Notes on one chunk of an article: facts, figures verbatim, named entities."""

    facts: list[str] = Field(description="short factual statements in Chinese, one per item")
    figures: list[NoteFigure]
    entities: list[NoteEntity]


# ---- reduce answer ----


class LanguageSummary(_Strict):
    headline: str
    summary: str
    key_points: list[str]


class SummaryFigure(_Strict):
    zh: str = Field(description="the figure as the Chinese summary writes it")
    en: str = Field(description="the same figure as the English summary writes it")
    source: str = Field(description="the figure exactly as written in the source")


class SummaryEntity(_Strict):
    zh: str
    en: str
    kind: EntityKind


class BilingualSummary(_Strict):
    """One article summarised in Chinese and in English, with its figures and names."""

    zh: LanguageSummary
    en: LanguageSummary
    figures: list[SummaryFigure]
    entities: list[SummaryEntity]

    @model_validator(mode="after")
    def _same_key_point_count(self) -> BilingualSummary:
        if len(self.zh.key_points) != len(self.en.key_points):
            raise ValueError(
                f"zh has {len(self.zh.key_points)} key points and en has "
                f"{len(self.en.key_points)}; they must match one to one"
            )
        return self


# ---- output file ----


class Problem(_Strict):
    check: str
    message: str


class Source(_Strict):
    path: str
    sha256: str
    encoding: str
    title: str = ""
    date: str = ""
    source_url: str = ""


class Provenance(_Strict):
    model: str = Field(description="the model name the server answered with")
    requested_model: str
    prompts: dict[str, str] = Field(description="stage -> name@version#hash")
    chunks: int
    calls: int = Field(description="LLM answers this summary is built from")
    tokens_in: int
    tokens_out: int
    cost_usd: float = Field(description="list-price estimate of those calls")


class Fingerprint(_Strict):
    source: str
    cleaner: str
    chunker: str
    prompts: dict[str, str]
    model: str
    schema_version: str
    script: str
    params: str
    glossary: str = ""  # hash of the glossary entries the reduce prompt can draw on

    def differences(self, other: Fingerprint) -> list[str]:
        """Human reasons why ``other`` (the new fingerprint) differs from this one."""
        reasons = []
        if self.source != other.source:
            reasons.append("source changed")
        if self.cleaner != other.cleaner:
            reasons.append(f"cleaner changed ({self.cleaner} -> {other.cleaner})")
        if self.chunker != other.chunker:
            reasons.append(f"chunker changed ({self.chunker} -> {other.chunker})")
        for stage in sorted(set(self.prompts) | set(other.prompts)):
            old, new = self.prompts.get(stage, "none"), other.prompts.get(stage, "none")
            if old != new:
                reasons.append(f"prompt {stage} {_version(old)} -> {_version(new)}")
        if self.model != other.model:
            reasons.append(f"model changed ({self.model} -> {other.model})")
        if self.schema_version != other.schema_version:
            reasons.append("schema changed")
        if self.script != other.script:
            reasons.append(f"script changed ({self.script} -> {other.script})")
        if self.params != other.params:
            reasons.append("parameters changed")
        if self.glossary != other.glossary:
            reasons.append("glossary changed")
        return reasons


def _version(ref: str) -> str:
    """``reduce@v2#ab12`` -> ``v2`` (or ``v2#ab12`` when only the hash differs)."""
    return ref.split("@", 1)[-1].split("#", 1)[0] if "@" in ref else ref


class OutputDocument(_Strict):
    schema_version: str = SCHEMA_VERSION
    doc_id: str
    status: Literal["ok", "needs_review"]
    source: Source
    summary: BilingualSummary
    checks: list[Problem] = Field(description="checks that failed; empty when status is ok")
    provenance: Provenance
    fingerprint: Fingerprint


def output_json_schema() -> dict[str, Any]:
    schema = OutputDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@cache
def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema for OpenAI strict structured output: every property required, no extras,
    no ``default`` or ``title`` noise, references kept in ``$defs``. Built once per model
    and shared by every request: read it, never change it."""
    schema = copy.deepcopy(model.model_json_schema())

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("title", "default"):
                if not isinstance(node.get(key), dict):  # a property may be *named* title
                    node.pop(key, None)
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for item in node:
                fix(item)

    fix(schema)
    return schema
