"""Recorded HTTP exchanges (vcrpy cassettes): replay a run offline, or record one.

``--replay`` answers every request from a cassette and refuses any request it lacks
(record mode ``none``); ``--record`` writes the exchanges of a real run to a cassette. The
same settings serve the tests. Requests match on method, path and JSON body (parsed, so
key order does not matter), never on host, so a cassette recorded against one server
replays with the server gone. Credentials never reach a cassette: the headers that carry
them are dropped from requests and responses, and any secret value given is masked
wherever it appears.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.errors import ReplayError

SECRET_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
    "proxy-authorization",
)
MATCH_ON = ("method", "path", "body")
MASK = "<redacted>"


def _scrub_response(secrets: tuple[str, ...]):
    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in SECRET_HEADERS:
                del headers[name]
        body = response.get("body", {}).get("string")
        if secrets and isinstance(body, bytes | str):
            for secret in secrets:
                token = secret.encode() if isinstance(body, bytes) else secret
                body = body.replace(token, MASK.encode() if isinstance(body, bytes) else MASK)
            response["body"]["string"] = body
        return response

    return scrub


def _scrub_request(secrets: tuple[str, ...]):
    def scrub(request):
        for secret in secrets:
            if isinstance(request.body, bytes) and secret.encode() in request.body:
                request.body = request.body.replace(secret.encode(), MASK.encode())
            request.uri = request.uri.replace(secret, MASK)
        return request

    return scrub


def config(record_mode: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
    hidden = tuple(s for s in secrets if s and len(s) >= 8)
    return {
        "record_mode": record_mode,
        "match_on": MATCH_ON,
        "filter_headers": SECRET_HEADERS,
        "before_record_request": _scrub_request(hidden),
        "before_record_response": _scrub_response(hidden),
        "decode_compressed_response": True,
    }


@contextmanager
def replaying(path: Path) -> Iterator[None]:
    import vcr  # only runs that replay or record pay for importing it
    from vcr.errors import CannotOverwriteExistingCassetteException

    if not path.is_file():
        raise ReplayError(f"cassette {path} does not exist")
    try:
        with vcr.VCR(**config("none")).use_cassette(str(path), allow_playback_repeats=True):
            yield
    except CannotOverwriteExistingCassetteException as exc:
        raise ReplayError(f"a request is not in cassette {path}: {exc}") from exc


@contextmanager
def recording(path: Path, secrets: Iterable[str] = ()) -> Iterator[None]:
    import vcr

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a recording replaces the cassette, it never appends
    with vcr.VCR(**config("all", secrets)).use_cassette(str(path)):
        yield
