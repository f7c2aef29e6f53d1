"""Token-bounded chunks whose boundaries survive local edits.

Units are paragraphs; a paragraph over the budget is cut at sentence ends (。！？；),
then at clause marks (，、：), then between characters, so no chunk ever splits a
character. A run of units over the budget is split recursively before its *anchor*: the
unit whose opening characters have the lowest hash. Where a split falls depends only on
the opening characters of the units in the run, not on their lengths or positions, so an
edit that keeps a paragraph's opening (a figure corrected, a sentence added, a paragraph
inserted) leaves every split outside the edited run where it was: the chunk holding the
edit changes, and at most one more when that chunk crosses the budget and splits. Every
other map call is a cache hit on the next run. Rewriting a paragraph's first characters
re-ranks its anchor and can move a split nearby.

Token counts use ``encode_ordinary``: documents are untrusted and may contain text such
as ``<|endoftext|>``, which must be counted as text, not refused as a special token.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import tiktoken

CHUNKER_VERSION = "1"
ANCHOR_PREFIX = 16  # characters of a unit that decide whether it is an anchor

_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;]+[」』”’）)\]]*|$)")
_CLAUSE = re.compile(r"[^，、：,:]*(?:[，、：,:]+|$)")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    tokens: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Unit:
    text: str
    tokens: int
    joiner: str  # text placed before this unit when it follows another in a chunk


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [p for p in pattern.findall(text) if p]


def _split(text: str, budget: int, enc: tiktoken.Encoding) -> list[str]:
    """Cut an over-budget text into pieces within budget, at the coarsest marks possible."""
    for pattern in (_SENTENCE, _CLAUSE):
        pieces = _pieces(text, pattern)
        if len(pieces) > 1:
            out: list[str] = []
            for piece in _pack_text(pieces, budget, enc):
                out.extend(_split(piece, budget, enc) if _count(piece, enc) > budget else [piece])
            return out
    # no marks left: cut between characters, as many as fit
    out, start = [], 0
    while start < len(text):
        lo, hi = start + 1, len(text)
        while lo < hi:  # largest end with text[start:end] within budget
            mid = (lo + hi + 1) // 2
            if _count(text[start:mid], enc) <= budget:
                lo = mid
            else:
                hi = mid - 1
        out.append(text[start:lo])
        start = lo
    return out


def _pack_text(pieces: list[str], budget: int, enc: tiktoken.Encoding) -> list[str]:
    packed: list[str] = []
    for piece in pieces:
        if packed and _count(packed[-1] + piece, enc) <= budget:
            packed[-1] += piece
        else:
            packed.append(piece)
    return packed


def _count(text: str, enc: tiktoken.Encoding) -> int:
    return len(enc.encode_ordinary(text))


def _units(text: str, budget: int, enc: tiktoken.Encoding) -> list[_Unit]:
    units: list[_Unit] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        tokens = _count(paragraph, enc)
        if tokens <= budget:
            units.append(_Unit(paragraph, tokens, "\n\n"))
            continue
        for i, piece in enumerate(_split(paragraph, budget, enc)):
            units.append(_Unit(piece, _count(piece, enc), "\n\n" if i == 0 else ""))
    return units


def _rank(unit: _Unit) -> int:
    digest = hashlib.blake2b(unit.text[:ANCHOR_PREFIX].encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _join(units: list[_Unit]) -> str:
    return units[0].text + "".join(u.joiner + u.text for u in units[1:])


def chunk(text: str, budget: int, enc: tiktoken.Encoding) -> list[Chunk]:
    """Split cleaned text into chunks of at most ``budget`` tokens each."""
    if budget < 16:
        raise ValueError("chunk budget must be at least 16 tokens")
    units = _units(text, budget, enc)
    leaves: list[tuple[str, int]] = []
    stack = [units] if units else []
    while stack:  # depth-first, left to right, so leaves come out in document order
        run = stack.pop()
        if len(run) == 1:
            leaves.append((run[0].text, run[0].tokens))
            continue
        # a run's size is estimated from its units (a token per paragraph joint) and
        # measured exactly only when the estimate says it fits
        if sum(u.tokens for u in run) + len(run) - 1 <= budget:
            joined = _join(run)
            tokens = _count(joined, enc)
            if tokens <= budget:
                leaves.append((joined, tokens))
                continue
        cut = min(range(1, len(run)), key=lambda i: (_rank(run[i]), i))
        stack.append(run[cut:])
        stack.append(run[:cut])
    return [Chunk(i, text, tokens) for i, (text, tokens) in enumerate(leaves)]
