"""tiktoken encodings loaded from files shipped with the package, never downloaded.

tiktoken fetches its BPE ranks from the network on first use. The ranks files ship here
(gzipped, byte-identical to the published ones: the sha256 below is the one tiktoken
itself pins), and the ``Encoding`` is built with the same pattern and special tokens
that ``tiktoken_ext.openai_public`` uses.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
from functools import cache
from importlib import resources

import tiktoken

from pipeline.errors import ConfigError

ENDOFTEXT = "<|endoftext|>"
ENDOFPROMPT = "<|endofprompt|>"

_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

# name -> (sha256 of the uncompressed ranks file, pattern, special tokens)
_SPECS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PATTERN,
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PATTERN,
        {
            ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            ENDOFPROMPT: 100276,
        },
    ),
}

# Model name prefixes that use cl100k_base; everything else (gpt-4o, 4.1, 5, o-series and
# unknown or local models) is counted with o200k_base, the closer estimate for new models.
_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4")

ENCODINGS = tuple(_SPECS)


def encoding_name_for_model(model: str) -> str:
    name = model.lower().rsplit("/", 1)[-1]
    if name.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if name.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    try:
        expected, pattern, special = _SPECS[name]
    except KeyError:
        raise ConfigError(f"unknown encoding {name!r}; available: {', '.join(ENCODINGS)}") from None
    raw = gzip.decompress(resources.files(__name__).joinpath(f"{name}.tiktoken.gz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != expected:
        raise ConfigError(f"the shipped {name} ranks file is corrupt (sha256 mismatch); reinstall")
    # "<base64 token> <rank>" per line; a2b_base64 over the whole split is about twice as
    # fast as base64.b64decode per line, and this runs at every start
    fields = raw.split()
    ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    return tiktoken.Encoding(
        name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special
    )
