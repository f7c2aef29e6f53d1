"""YAML (``---``) and TOML (``+++``) front matter: split it off and read the metadata."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass

from pipeline.yamlfile import YAMLError, load_yaml

_BLOCK = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n\1[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass(frozen=True)
class Metadata:
    title: str = ""
    date: str = ""
    source_url: str = ""
    description: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def split(text: str) -> tuple[str | None, str, int]:
    """Return (front matter block or None, the rest, number of lines the block took)."""
    match = _BLOCK.match(text)
    if not match:
        return None, text, 0
    block = match.group(0)
    return block, text[match.end() :], block.count("\n")


def _text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def parse(block: str) -> tuple[Metadata, str | None]:
    """Metadata from a front matter block, and a warning if the block does not parse."""
    match = _BLOCK.match(block)
    if not match:
        return Metadata(), None
    fence, body = match.group(1), match.group(2)
    try:
        data = tomllib.loads(body) if fence == "+++" else load_yaml(body)
    except (YAMLError, tomllib.TOMLDecodeError) as exc:
        return Metadata(), f"front matter does not parse: {str(exc).splitlines()[0]}"
    if not isinstance(data, dict):
        return Metadata(), "front matter is not a mapping"
    lowered = {str(k).lower(): v for k, v in data.items()}

    def first(*keys: str) -> str:
        for key in keys:
            if _text(lowered.get(key)):
                return _text(lowered[key])
        return ""

    return (
        Metadata(
            title=first("title"),
            date=first("date", "publishdate", "published"),
            source_url=first("source_url", "url", "link", "canonical", "source"),
            description=first("description", "summary"),
        ),
        None,
    )
