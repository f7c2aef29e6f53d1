"""Chinese script: detect and convert between Simplified and Traditional with OpenCC."""

from __future__ import annotations

import re
from functools import cache

import opencc

SCRIPTS = {"zh-Hans": "t2s", "zh-Hant": "s2t"}
NAMES = {"zh-Hans": "Simplified Chinese (简体中文)", "zh-Hant": "Traditional Chinese (繁體中文)"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def convert(text: str, script: str) -> str:
    return _converter(SCRIPTS[script]).convert(text)


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def han_ratio(text: str) -> float:
    """Han characters among the letters (Han and Latin) of a text."""
    han, latin = han_count(text), len(_LATIN.findall(text))
    return han / (han + latin) if han + latin else 0.0


def off_script(text: str, script: str) -> list[str]:
    """Characters that conversion to ``script`` would change: the ones in the other script."""
    converted = convert(text, script)
    return sorted({a for a, b in zip(text, converted, strict=False) if a != b})
