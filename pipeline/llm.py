"""Every LLM call goes through ``LLM.complete``: cache -> rate limiter -> openai -> retry -> cache.

One owner per retry concern:
- the openai client is built with ``max_retries=0``;
- tenacity retries transport failures (429, 5xx, 408/409, timeouts, connection errors),
  honouring ``retry-after``; a 429 also pauses all traffic through the rate limiter;
- ``LLM.structured`` re-asks once, with a new message list carrying the errors, when an
  answer fails validation.

Structured output has three modes, best first: ``json_schema`` (strict), ``json_object``
with the schema in the system prompt, and a plain prompt whose JSON is extracted from the
text. A server that rejects a mode is remembered (per host and model, in the cache file)
and the next mode is used.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlparse

from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from pipeline.cache import Cache, request_key
from pipeline.errors import ConfigError, InvalidOutput, LLMError, ModeRejected, OfflineMiss
from pipeline.prompts import Prompt
from pipeline.ratelimit import RateLimiter, retry_after
from pipeline.schemas import strict_schema
from pipeline.settings import Settings
from pipeline.slots import PrioritySlots

if TYPE_CHECKING:  # openai is imported when the first request is sent: a run answered
    import openai  # from the cache (a warm refresh) never pays for importing it

MODES = ("json_schema", "json_object", "plain")
T = TypeVar("T", bound=BaseModel)

_MODE_COMPLAINT = re.compile(r"response_format|json_schema|json_object|structured output", re.I)
_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


@dataclass(frozen=True)
class Answer:
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    cached: bool
    refusal: str | None = None


@dataclass
class CallStats:
    requests: int = 0  # HTTP attempts sent, retries included
    cache_hits: int = 0
    tokens_in: int = 0  # usage of answers fetched this run (cache hits cost nothing)
    tokens_out: int = 0
    retries: int = 0
    rate_limited: int = 0
    reasks: int = 0
    mode_fallbacks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Structured(Generic[T]):  # noqa: UP046 (Python 3.11 has no PEP 695 syntax)
    value: T
    answers: tuple[Answer, ...]


def host_of(base_url: str | None) -> str:
    return urlparse(base_url).netloc if base_url else "api.openai.com"


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def _in_cause_chain(exc: BaseException | None, name: str) -> bool:
    while exc is not None:
        if type(exc).__name__ == name:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _transient(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.RateLimitError):
        return getattr(exc, "code", None) != "insufficient_quota"
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return True
    status = _status(exc)
    return status is not None and (status in (408, 409) or status >= 500)


def _describe(exc: BaseException) -> str:
    status = _status(exc)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"HTTP {status}: {message}" if status else f"{type(exc).__name__}: {message}"


class LLM:
    def __init__(
        self,
        settings: Settings,
        cache: Cache,
        *,
        offline: bool = False,
        read_cache: bool = True,
        limiter: RateLimiter | None = None,
        client: openai.AsyncOpenAI | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.offline = offline
        self.read_cache = read_cache
        self.limiter = limiter or RateLimiter(settings.rpm, settings.tpm, clock=clock, sleep=sleep)
        self.slots = PrioritySlots(settings.concurrency)
        self.stats = CallStats()
        self.host = host_of(settings.base_url)
        self._client = client
        self._sleep = sleep
        remembered = cache.mode(self.host, settings.model)
        self.mode = remembered if remembered in MODES else MODES[0]

    # ---- one call ----

    def client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            import httpx2
            import openai

            key = self.settings.api_key.get_secret_value() if self.settings.api_key else None
            if not key:
                if not self.settings.base_url:
                    raise ConfigError(
                        "OPENAI_API_KEY is not set: set it, point OPENAI_BASE_URL at a local "
                        "server, or use --offline to run from the cache alone"
                    )
                key = "unused"  # local servers (vLLM, Ollama, llama.cpp) take any key
            self._client = openai.AsyncOpenAI(
                api_key=key,
                base_url=self.settings.base_url,
                max_retries=0,
                timeout=httpx2.Timeout(self.settings.timeout, connect=10.0),
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections; call once the event loop's work is done."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def key(self, request: dict[str, Any]) -> str:
        return request_key(self.host, request)

    def cached(self, request: dict[str, Any]) -> Answer | None:
        """The cached answer to a request, without sending anything."""
        hit = self.cache.get(self.key(request))
        return _answer(hit.response, cached=True) if hit is not None else None

    async def complete(self, request: dict[str, Any], priority: tuple = ()) -> Answer:
        key = self.key(request)
        hit = self.cache.get(key) if self.read_cache else None
        if hit is not None:
            self.stats.cache_hits += 1
            return _answer(hit.response, cached=True)
        if self.offline:
            raise OfflineMiss("answer not in the cache, and --offline forbids calling the model")
        charge = request.get("prompt_tokens_estimate", 0) + request["max_tokens"]
        body = {k: v for k, v in request.items() if k != "prompt_tokens_estimate"}
        async with self.slots.slot(priority):
            response = await self._send(body, charge)
        answer = _answer(response, cached=False)
        self.stats.tokens_in += answer.prompt_tokens
        self.stats.tokens_out += answer.completion_tokens
        if answer.finish_reason in ("stop", "length") and not answer.refusal:
            self.cache.put(key, response, answer.prompt_tokens, answer.completion_tokens)
        return answer

    async def _send(self, body: dict[str, Any], charge: int) -> dict[str, Any]:
        import openai

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            response = getattr(exc, "response", None)
            asked = retry_after(response.headers if response is not None else None)
            if asked is not None:
                return min(asked, self.settings.max_retry_wait)
            return wait_random_exponential(multiplier=1, max=30)(state)

        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=wait,
            stop=stop_after_attempt(self.settings.max_attempts)
            | stop_after_delay(self.settings.max_retry_wait * 2 + self.settings.timeout),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda _: self._count_retry(),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(body, charge)
        except openai.AuthenticationError as exc:
            raise ConfigError(f"the server refused the API key ({_describe(exc)})") from exc
        except openai.PermissionDeniedError as exc:
            raise ConfigError(f"permission denied ({_describe(exc)})") from exc
        except openai.NotFoundError as exc:
            raise ConfigError(
                f"model {body['model']!r} or endpoint not found at {self.host} ({_describe(exc)})"
            ) from exc
        except openai.RateLimitError as exc:
            if getattr(exc, "code", None) == "insufficient_quota":
                raise ConfigError(f"the account has no quota left ({_describe(exc)})") from exc
            raise LLMError(f"rate limited after {self.settings.max_attempts} attempts") from exc
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if "response_format" in body and _MODE_COMPLAINT.search(_describe(exc)):
                raise ModeRejected(_describe(exc)) from exc
            raise LLMError(f"request refused: {_describe(exc)}") from exc
        except openai.APIError as exc:
            attempts = (
                "" if not _transient(exc) else f" after {self.settings.max_attempts} attempts"
            )
            raise LLMError(f"{_describe(exc)}{attempts}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _count_retry(self) -> None:
        self.stats.retries += 1

    async def _attempt(self, body: dict[str, Any], charge: int) -> dict[str, Any]:
        import httpx2
        import openai

        await self.limiter.acquire(charge)
        self.stats.requests += 1
        try:
            # the body is built and checked here already, so it goes out as it is through
            # the client's documented low-level ``post`` (same auth, errors and transport
            # as ``chat.completions.create``, without re-validating the request or
            # parsing the answer into models that are turned straight back into JSON)
            raw = await self.client().post("/chat/completions", cast_to=httpx2.Response, body=body)
        except openai.RateLimitError as exc:
            self.stats.rate_limited += 1
            self.limiter.observe(exc.response.headers)
            self.limiter.rate_limited(retry_after(exc.response.headers))
            raise
        except Exception as exc:
            # vcrpy refuses, inside the transport, a request its cassette lacks
            if _in_cause_chain(exc, "CannotOverwriteExistingCassetteException"):
                raise LLMError(
                    "request not in cassette: the cassette was recorded from other inputs, "
                    "prompts or settings"
                ) from exc
            raise
        self.limiter.observe(raw.headers)
        try:
            return raw.json()
        except ValueError as exc:
            raise LLMError(f"the server answered with invalid JSON: {raw.text[:200]!r}") from exc

    # ---- structured output ----

    def build_request(
        self,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        max_tokens: int,
        mode: str,
        output_format: Prompt,
        prompt_tokens: int,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
            "prompt_tokens_estimate": prompt_tokens,
        }
        if self.settings.seed is not None:
            request["seed"] = self.settings.seed
        if mode == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.__name__,
                    "schema": strict_schema(schema),
                    "strict": True,
                },
            }
            return request
        instruction = output_format.render(
            schema_name=schema.__name__,
            schema=json.dumps(strict_schema(schema), ensure_ascii=False, sort_keys=True),
        )[0]["content"]
        system = [m for m in messages if m["role"] == "system"]
        rest = [m for m in messages if m["role"] != "system"]
        merged = "\n\n".join([*(m["content"] for m in system), instruction])
        request["messages"] = [{"role": "system", "content": merged}, *rest]
        if mode == "json_object":
            request["response_format"] = {"type": "json_object"}
        return request

    async def structured(
        self,
        messages: list[dict[str, str]],
        schema: type[T],
        *,
        max_tokens: int,
        reask: Prompt,
        output_format: Prompt,
        count_tokens: Callable[[str], int],
        check: Callable[[T], list[str]] | None = None,
        priority: tuple = (),
    ) -> Structured[T]:
        """Ask for an answer of ``schema``; re-ask once with the errors if it is invalid."""
        answers: list[Answer] = []
        conversation = list(messages)
        problems: list[str] = []
        for round_ in range(2):
            while True:
                mode = self.mode
                request = self.build_request(
                    conversation,
                    schema,
                    max_tokens,
                    mode,
                    output_format,
                    sum(count_tokens(m["content"]) + 4 for m in conversation),
                )
                try:
                    answer = await self.complete(request, priority)
                    break
                except ModeRejected as exc:
                    if not self._downgrade(mode, exc):
                        raise
            answers.append(answer)
            value, problems = parse_answer(answer, schema, max_tokens)
            if value is not None and check is not None:
                problems = check(value)
            if not problems:
                return Structured(value, tuple(answers))  # type: ignore[arg-type]
            if round_ == 0:
                self.stats.reasks += 1
                conversation = [
                    *messages,
                    {"role": "assistant", "content": answer.content},
                    *reask.render(errors="\n".join(f"- {p}" for p in problems)),
                ]
        raise InvalidOutput(
            f"{schema.__name__} still invalid after a re-ask: " + "; ".join(problems[:5]),
            problems,
        )

    def _downgrade(self, rejected: str, exc: ModeRejected) -> bool:
        """Move past a rejected mode; False when no mode is left to try."""
        if self.mode != rejected:
            return True  # a concurrent request already moved on: retry in the new mode
        index = MODES.index(rejected)
        if index + 1 >= len(MODES):
            return False
        self.mode = MODES[index + 1]
        self.stats.mode_fallbacks.append(f"{rejected} -> {self.mode}: {exc}")
        self.cache.set_mode(self.host, self.settings.model, self.mode)
        return True


def _answer(response: dict[str, Any], *, cached: bool) -> Answer:
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = response.get("usage") or {}
    return Answer(
        content=message.get("content") or "",
        model=response.get("model", ""),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=choice.get("finish_reason") or "",
        cached=cached,
        refusal=message.get("refusal"),
    )


def extract_json(text: str) -> Any:
    """The JSON object in a reply: whole, inside a code fence, or between the outer braces."""
    text = text.strip()
    fenced = _FENCED.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start == -1 or end <= start:
            raise
        return json.loads(text[start : end + 1])


def parse_answer(answer: Answer, schema: type[T], max_tokens: int) -> tuple[T | None, list[str]]:
    if answer.refusal:
        return None, [f"the model refused: {answer.refusal}"]
    if answer.finish_reason == "length":
        return None, [f"the answer was cut off at max_tokens={max_tokens}; answer more briefly"]
    try:
        data = extract_json(answer.content)
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON ({exc.msg} at position {exc.pos})"]
    try:
        return schema.model_validate(data), []
    except ValidationError as exc:
        return None, [
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors()
        ]
