"""The response cache: one SQLite file (WAL) under the state folder.

Key: sha256 of the canonical JSON of everything that shapes an answer: the server's host,
model, messages, temperature, max_tokens, response_format and seed. Value: the raw response
JSON and its usage. Errors are never stored, so a failed call is retried on the next run.
The API key is not part of the key and is never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS modes (
    host TEXT NOT NULL,
    model TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (host, model)
);
"""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(host: str, request: dict[str, Any]) -> str:
    fields = ("model", "messages", "temperature", "max_tokens", "response_format", "seed")
    material = {"host": host, **{k: request.get(k) for k in fields}}
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    response: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int


class Cache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def get(self, key: str) -> Entry | None:
        row = self._db.execute(
            "SELECT response, prompt_tokens, completion_tokens FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        return Entry(json.loads(row[0]), row[1], row[2]) if row else None

    def __contains__(self, key: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone() is not None
        )

    def put(
        self, key: str, response: dict[str, Any], prompt_tokens: int, completion_tokens: int
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                response.get("model", ""),
                canonical_json(response),
                prompt_tokens,
                completion_tokens,
                time.time(),
            ),
        )

    def mode(self, host: str, model: str) -> str | None:
        row = self._db.execute(
            "SELECT mode FROM modes WHERE host = ? AND model = ?", (host, model)
        ).fetchone()
        return row[0] if row else None

    def set_mode(self, host: str, model: str, mode: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO modes VALUES (?, ?, ?)", (host, model, mode))

    def stats(self) -> dict[str, int]:
        count, tokens = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM responses"
        ).fetchone()
        return {"responses": count, "tokens": tokens}

    def close(self) -> None:
        self._db.close()
