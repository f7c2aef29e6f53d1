"""A local OpenAI-compatible stub server, for tests and benchmarks only.

It is a fake: it never runs a language model, and every response says so with a
``"model": "stub-<requested model>"``. It speaks real HTTP, so the pipeline's real
``openai`` client, retries and rate limiter are exercised end to end.

What it answers:
- map requests (``ChunkNotes``): notes extracted mechanically from the fenced article text
  (first sentence of each paragraph, figures by regular expression, names from the glossary);
- collapse requests: the union of the notes it is given;
- reduce requests (``BilingualSummary``): the hand-written reference summary of the sample
  article whose ``match`` phrases occur in the request (``tests/reference/``), or else a
  generic summary that states it comes from the stub.

What it can be told to do (``StubConfig``): reject ``json_schema`` the way some servers do,
fail the first requests with 500 or 429 + ``retry-after``, send malformed or truncated
answers, corrupt a figure (``5000亿美元`` -> ``$5 trillion``), simulate latency
(time to first token + output tokens / tokens per second), and enforce RPM/TPM buckets
charged as OpenAI charges them (prompt tokens + ``max_tokens``), with ``x-ratelimit-*``
headers on every answer.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from pipeline.encodings import get_encoding
from pipeline.script import convert, han_ratio

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "tests" / "reference"
GLOSSARY = ROOT / "glossary.yaml"

_FIGURE = re.compile(
    r"\d[\d,.]*\s*(?:萬億|万亿|億|亿|萬|万|兆)?\s*"
    r"(?:美元|美金|人民幣|人民币|元|吉瓦|兆瓦|%|％|倍|年|個月|个月|周|週)?"
)
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_FENCE = re.compile(r"<<<(ARTICLE|NOTES)\n(.*?)\n\1>>>", re.S)


@dataclass
class StubConfig:
    reject_json_schema: bool = False
    reject_json_object: bool = False
    fail_first: int = 0  # the first N chat requests get a 500
    rate_limit_first: int = 0  # the first N chat requests get a 429 with retry-after
    retry_after: float = 0.05
    malformed_first: int = 0  # the first N reduce answers are not JSON
    truncate_first: int = 0  # the first N reduce answers stop at max_tokens, cut short
    corrupt_figures: int = 0  # the first N answers holding 5000亿美元 say $5 trillion instead
    ttft: float = 0.0  # seconds before the first token
    tps: float = 0.0  # output tokens per second; 0 answers at once
    rpm: int | None = None
    tpm: int | None = None
    fault_rate_500: float = 0.0
    fault_rate_429: float = 0.0
    seed: int = 0
    require_key: str | None = None  # answer 401 unless this bearer key is sent
    quota_exhausted: bool = False  # answer 429 insufficient_quota, as a billing error does
    references: Path | None = REFERENCE_DIR  # None: every reduce gets the generic summary
    log: Path | None = None  # one JSON line per request, for benchmarks


@dataclass
class _Bucket:
    capacity: float
    level: float
    updated: float

    def take(self, amount: float, now: float) -> bool:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.capacity / 60)
        self.updated = now
        if self.level >= amount:
            self.level -= amount
            return True
        return False

    def reset_seconds(self) -> float:
        return (self.capacity - self.level) * 60 / self.capacity


@dataclass
class StubStats:
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    errors: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    charged_tokens: int = 0


def load_references(directory: Path) -> list[dict[str, Any]]:
    refs = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        refs.append({"doc_id": path.stem, "match": data["match"], "summary": data["summary"]})
    return refs


def load_glossary() -> list[tuple[str, str, str]]:
    """(name as written, English name, kind) for every Chinese or English form."""
    if not GLOSSARY.is_file():
        return []
    data = yaml.safe_load(GLOSSARY.read_text("utf-8")) or {}
    names = []
    for entry in data.get("entries", []):
        for form in [*entry.get("zh", []), entry["en"]]:
            names.append((form, entry["en"], entry.get("kind", "other")))
    return names


class StubBrain:
    """Turns a chat request into the stub's answer text. Pure apart from its counters."""

    def __init__(self, config: StubConfig) -> None:
        self.config = config
        self.references = load_references(config.references) if config.references else []
        self.glossary = load_glossary()
        self.reduce_answers = 0
        self.corrupted = 0
        self.lock = threading.Lock()

    @staticmethod
    def schema_name(body: dict[str, Any]) -> str:
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return fmt["json_schema"]["name"]
        system = " ".join(m["content"] for m in body["messages"] if m["role"] == "system")
        for name in ("BilingualSummary", "ChunkNotes"):
            if f"a {name}" in system:
                return name
        return "unknown"

    def kind(self, body: dict[str, Any]) -> str:
        name = self.schema_name(body)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        if name == "ChunkNotes":
            return "map" if "<<<ARTICLE" in user else "collapse"
        return "reduce" if name == "BilingualSummary" else "unknown"

    def answer(self, body: dict[str, Any]) -> tuple[str, str]:
        """(content, finish_reason)"""
        kind = self.kind(body)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        fenced = _FENCE.search(user)
        data = fenced.group(2) if fenced else user
        if kind == "map":
            return json.dumps(self.notes(data), ensure_ascii=False), "stop"
        if kind == "collapse":
            return json.dumps(self.merge(json.loads(data)), ensure_ascii=False), "stop"
        if kind != "reduce":
            return "{}", "stop"
        summary = self.summary(user)
        text = json.dumps(summary, ensure_ascii=False)
        with self.lock:
            self.reduce_answers += 1
            n = self.reduce_answers
            corrupt = "$500 billion" in text and self.corrupted < self.config.corrupt_figures
            self.corrupted += corrupt
        if corrupt:  # only answers that hold the figure count toward corrupt_figures
            summary = json.loads(
                text.replace("5000亿美元", "5万亿美元").replace("$500 billion", "$5 trillion")
            )
        text = json.dumps(summary, ensure_ascii=False)
        if n <= self.config.malformed_first:
            return "Here is the summary you asked for: " + text[: len(text) // 2], "stop"
        if n <= self.config.truncate_first:
            return text[: len(text) // 3], "length"
        return text, "stop"

    # ---- map and collapse ----

    def notes(self, text: str) -> dict[str, Any]:
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        facts = []
        for p in paragraphs:
            first = _SENTENCE.match(p)
            sentence = (first.group(0) if first else p).strip()[:60]
            if len(sentence) >= 6:
                facts.append(sentence)
        figures, seen = [], set()
        for m in _FIGURE.finditer(text):
            figure = m.group(0).strip().rstrip(",.")
            if len(figure) >= 2 and figure not in seen and not figure.isdigit():
                seen.add(figure)
                figures.append({"text": figure, "about": text[max(0, m.start() - 12) : m.start()]})
        entities, named = [], set()
        for form, en, kind in self.glossary:
            if form in text and en not in named:
                named.add(en)
                entities.append({"name": form, "en": en, "kind": kind})
        return {
            "facts": facts[:12] or [text.strip()[:60]],
            "figures": figures[:20],
            "entities": entities,
        }

    @staticmethod
    def merge(notes: list[dict[str, Any]]) -> dict[str, Any]:
        facts, figures, entities, seen = [], [], [], set()
        for n in notes:
            facts.extend(n["facts"])
            for f in n["figures"]:
                if f["text"] not in seen:
                    seen.add(f["text"])
                    figures.append(f)
            for e in n["entities"]:
                if e["en"] not in {x["en"] for x in entities}:
                    entities.append(e)
        return {"facts": facts[:15], "figures": figures, "entities": entities}

    # ---- reduce ----

    def summary(self, request_text: str) -> dict[str, Any]:
        for ref in self.references:
            if any(phrase in request_text for phrase in ref["match"]):
                return ref["summary"]
        return self.generic(request_text)

    @staticmethod
    def generic(request_text: str) -> dict[str, Any]:
        fenced = _FENCE.search(request_text)
        try:
            notes = json.loads(fenced.group(2)) if fenced else []
        except json.JSONDecodeError:
            notes = []
        facts = [convert(f, "zh-Hans") for n in notes for f in n.get("facts", [])]
        plain = [
            f
            for f in facts
            if not re.search(r"\d|[一二三四五六七八九十百千万亿两]", f) and han_ratio(f) > 0.8
        ]
        filler = "这是本地测试服务器生成的占位摘要，并非语言模型的输出。"
        body = "".join(plain[:4]) or filler
        while len(body) < 80:
            body += filler
        points = (plain + [filler] * 3)[:3]
        n = len(notes)
        en_points = [
            "This is a placeholder point written by the local test server.",
            "No language model read this article.",
            "The real pipeline would summarise the notes here.",
        ]
        return {
            "zh": {
                "headline": "测试服务器生成的占位摘要",
                "summary": body[:600],
                "key_points": [p[:100] for p in points],
            },
            "en": {
                "headline": "Placeholder summary from the local test server",
                "summary": (
                    "This summary was written by the local test server, not by a language "
                    f"model. It received notes on {'several parts' if n > 1 else 'one part'} "
                    "of a Chinese news article and answers with fixed text so that the "
                    "pipeline can be exercised end to end without a model or a network."
                ),
                "key_points": en_points,
            },
            "figures": [],
            "entities": [],
        }


class StubServer:
    def __init__(self, config: StubConfig | None = None, port: int = 0) -> None:
        self.config = config or StubConfig()
        self.brain = StubBrain(self.config)
        self.stats = StubStats()
        self.enc = get_encoding("o200k_base")
        self._lock = threading.Lock()
        self._random = random.Random(self.config.seed)
        now = time.monotonic()
        self.rpm = _Bucket(self.config.rpm, self.config.rpm, now) if self.config.rpm else None
        self.tpm = _Bucket(self.config.tpm, self.config.tpm, now) if self.config.tpm else None
        self._log = self.config.log.open("a", encoding="utf-8") if self.config.log else None
        handler = type("Handler", (_Handler,), {"stub": self})
        ThreadingHTTPServer.request_queue_size = 256  # many clients connect at once
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> StubServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._log:
            self._log.close()

    def record(self, **fields: Any) -> None:
        if self._log:
            with self._lock:
                self._log.write(json.dumps(fields, ensure_ascii=False) + "\n")
                self._log.flush()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request handling ----

    def count(self, body: dict[str, Any]) -> int:
        return sum(len(self.enc.encode_ordinary(m["content"])) + 4 for m in body["messages"])

    def limit_headers(self) -> dict[str, str]:
        headers = {}
        for bucket, kind in ((self.rpm, "requests"), (self.tpm, "tokens")):
            if bucket is not None:
                headers[f"x-ratelimit-limit-{kind}"] = str(int(bucket.capacity))
                headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, int(bucket.level)))
                headers[f"x-ratelimit-reset-{kind}"] = f"{bucket.reset_seconds():.3f}s"
        return headers

    def handle_chat(
        self, body: dict[str, Any], authorization: str = ""
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        started = time.monotonic()
        status, payload, headers = self._chat(body, authorization)
        if self._log:
            user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
            title = user.split("\n", 1)[0].removeprefix("Article title: ")
            usage = payload.get("usage") or {}
            self.record(
                t=round(started, 4),
                seconds=round(time.monotonic() - started, 4),
                status=status,
                kind=self.brain.kind(body),
                title=title,
                prompt_tokens=self.count(body),
                max_tokens=_max_tokens(body),
                completion_tokens=usage.get("completion_tokens", 0),
            )
        return status, payload, headers

    def _chat(
        self, body: dict[str, Any], authorization: str = ""
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.config.require_key and authorization != f"Bearer {self.config.require_key}":
            return 401, _error("Incorrect API key provided (stub)", "invalid_api_key"), {}
        if self.config.quota_exhausted:
            return 429, _error("You exceeded your current quota (stub)", "insufficient_quota"), {}
        with self._lock:
            self.stats.requests += 1
            n = self.stats.requests
            self.stats.bodies.append(body)
            kind = self.brain.kind(body)
            self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
            prompt_tokens = self.count(body)
            charge = prompt_tokens + _max_tokens(body)
            self.stats.charged_tokens += charge
            now = time.monotonic()
            limited = None
            if self.rpm is not None and not self.rpm.take(1, now):
                limited = (1 - self.rpm.level) * 60 / self.rpm.capacity
            if limited is None and self.tpm is not None and not self.tpm.take(charge, now):
                limited = (charge - self.tpm.level) * 60 / self.tpm.capacity
            headers = self.limit_headers()
            roll = self._random.random()
        fmt = (body.get("response_format") or {}).get("type")
        if (fmt == "json_schema" and self.config.reject_json_schema) or (
            fmt == "json_object" and self.config.reject_json_object
        ):
            return (
                400,
                _error(
                    f"'response_format' of type '{fmt}' is not supported by this server",
                    "invalid_request_error",
                    param="response_format",
                ),
                headers,
            )
        if n <= self.config.rate_limit_first or roll < self.config.fault_rate_429:
            limited = self.config.retry_after if limited is None else limited
        if limited is not None:
            with self._lock:
                self.stats.rate_limited += 1
            headers["retry-after-ms"] = str(max(1, int(limited * 1000)))
            headers["retry-after"] = f"{limited:.3f}"
            return 429, _error("Rate limit reached (stub)", "rate_limit_exceeded"), headers
        if n <= self.config.rate_limit_first + self.config.fail_first or (
            self.config.fault_rate_429
            <= roll
            < self.config.fault_rate_429 + self.config.fault_rate_500
        ):
            with self._lock:
                self.stats.errors += 1
            return 500, _error("The stub server had an error", "server_error"), headers
        content, finish = self.brain.answer(body)
        completion_tokens = len(self.enc.encode_ordinary(content))
        if self.config.ttft or self.config.tps:
            delay = self.config.ttft + (
                completion_tokens / self.config.tps if self.config.tps else 0
            )
            time.sleep(delay)
        response = {
            "id": f"chatcmpl-stub-{n}",
            "object": "chat.completion",
            "created": 0,
            "model": f"stub-{body.get('model', 'unknown')}",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return 200, response, headers


def _max_tokens(body: dict[str, Any]) -> int:
    # newer clients send max_completion_tokens; both reserve the answer's room
    return int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)


def _error(message: str, code: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "param": param, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub: StubServer

    def log_message(self, *args: object) -> None:  # quiet: tests read stats instead
        pass

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/").endswith("/chat/completions"):
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._send(400, _error("body is not JSON", "invalid_request_error"), {})
                return
            self._send(*self.stub.handle_chat(body, self.headers.get("authorization", "")))
        else:
            self._send(404, _error(f"no route {self.path} on the stub", "not_found"), {})
