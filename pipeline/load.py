"""Load documents from disk: find them, detect their encoding, read their metadata.

The encoding comes from a byte-order mark or from charset-normalizer's detector, never from
trying codecs in turn: Big5 bytes decode "successfully" as GB18030 into garbage, so the
first codec that does not raise proves nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

from pipeline import frontmatter, html
from pipeline.errors import LoadError
from pipeline.frontmatter import Metadata

SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
MAX_BYTES = 20_000_000  # beyond this a file is not an article; refuse before decoding it

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Where the detector names a narrower codec, decode with its superset so that rare
# characters (and HKSCS in Big5 text) survive.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ascii": "utf-8",
    "utf_8": "utf-8",
}


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: Path
    sha256: str
    encoding: str
    format: str
    text: str
    metadata: Metadata = field(default_factory=Metadata)
    warnings: tuple[str, ...] = ()


def source_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(paths: Iterable[Path]) -> list[Path]:
    """Document files under the given files and folders, in a stable order; hidden files
    and folders are skipped."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = [d for d in subfolders if not d.startswith(".")]
                found.update(
                    Path(folder, name)
                    for name in files
                    if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUFFIXES
                )
        elif path.is_file():
            found.add(path)
        else:
            raise FileNotFoundError(path)
    return sorted(found, key=lambda p: (p.stem, str(p)))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) * 0.05


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) or raise LoadError with the reason."""
    if not data.strip():
        raise LoadError("empty file")
    if len(data) > MAX_BYTES:
        raise LoadError(f"file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as exc:
                raise LoadError(f"has a {name} byte-order mark but does not decode: {exc}") from exc
            return text.lstrip("\ufeff"), name.removesuffix("-sig")
    if _looks_binary(data):
        raise LoadError("binary file (control bytes), not text")
    best = from_bytes(data).best()
    if best is None:
        raise LoadError("cannot detect the text encoding (not UTF-8, GB18030, Big5 or similar)")
    name = _SUPERSETS.get(best.encoding, best.encoding.replace("_", "-"))
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:  # detector and codec disagree: refuse, do not guess
        raise LoadError(f"detected {name} but the bytes do not decode: {exc}") from exc
    return text, name


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from exc


def load(path: Path, data: bytes | None = None) -> Document:
    """The document at ``path`` (whose bytes the caller may have read already)."""
    data = read(path) if data is None else data
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kind = SUFFIXES.get(path.suffix.lower(), "text")
    warnings: list[str] = []
    if kind == "html":
        text, metadata = html.to_text(text)
    else:
        block, _, _ = frontmatter.split(text)
        metadata, warning = frontmatter.parse(block) if block else (Metadata(), None)
        if warning:
            warnings.append(warning)
    if not text.strip():
        raise LoadError("no text after decoding")
    return Document(
        doc_id=path.stem,
        path=path,
        sha256=source_hash(data),
        encoding=encoding,
        format=kind,
        text=text,
        metadata=metadata,
        warnings=tuple(warnings),
    )


def load_all(paths: list[Path]) -> Iterator[Document | tuple[Path, LoadError]]:
    for path in paths:
        try:
            yield load(path)
        except LoadError as exc:
            yield path, exc
