"""Client-side rate limiting that matches how OpenAI-style servers count.

Two token buckets, requests per minute and tokens per minute, refill continuously. A
request is charged before it is sent, with prompt tokens + ``max_tokens`` (the server
reserves the answer's room up front), and a failed request stays charged: the server
counted it too. Limits come from settings; where none are set they are learned from the
``x-ratelimit-*`` headers of each answer, and where a server sends no headers, from its
429s: the request rate backs off to what got through, then probes up again. A 429 pauses
*all* traffic for its ``retry-after``, not only the request that got it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

MIN_LEARNED_RPM = 10.0
_EPSILON = 1e-6  # seconds
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | None) -> float | None:
    """``6m0s`` -> 360.0, ``12ms`` -> 0.012, ``1.5`` -> 1.5; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds a server asked us to wait: ``retry-after-ms`` first, then ``retry-after``."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None  # an HTTP date: rare from these servers; fall back to backoff
    return None


@dataclass
class Bucket:
    """A continuously refilled bucket of ``capacity`` per minute."""

    capacity: float | None = None  # None: unlimited
    level: float = 0.0
    updated: float = 0.0
    configured: bool = False

    def refill(self, now: float) -> None:
        if self.capacity is not None:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.capacity / 60)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        if self.capacity is None:
            return 0.0
        amount = min(amount, self.capacity)  # an oversize request waits for a full bucket
        return 0.0 if self.level >= amount else (amount - self.level) * 60 / self.capacity

    def set_capacity(self, capacity: float, now: float) -> None:
        if self.capacity is None:
            self.level = capacity  # a fresh limit starts full; remaining headers correct it
        self.capacity = capacity
        self.updated = now


@dataclass
class LimiterStats:
    waited: float = 0.0
    paused: float = 0.0
    rate_limited: int = 0
    learned_rpm: float | None = None
    learned_tpm: float | None = None


@dataclass
class RateLimiter:
    rpm: int | None = None
    tpm: int | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    stats: LimiterStats = field(default_factory=LimiterStats)

    def __post_init__(self) -> None:
        now = self.clock()
        self.requests = Bucket(updated=now)
        self.tokens = Bucket(updated=now)
        if self.rpm:
            self.requests = Bucket(float(self.rpm), float(self.rpm), now, configured=True)
        if self.tpm:
            self.tokens = Bucket(float(self.tpm), float(self.tpm), now, configured=True)
        self.paused_until = 0.0
        self._lock = asyncio.Lock()
        self._sent: deque[float] = deque()  # send times in the last minute, for 429 learning
        self._headers_seen = False
        self._last_raise = now

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of ``tokens`` may be sent, then charge it."""
        async with self._lock:  # first come, first served
            while True:
                now = self.clock()
                if now < self.paused_until:
                    pause = self.paused_until - now
                    self.stats.paused += pause
                    await self.sleep(pause)
                    continue
                self.requests.refill(now)
                self.tokens.refill(now)
                self._probe_up(now)
                wait = max(self.requests.wait_for(1), self.tokens.wait_for(tokens))
                if wait <= _EPSILON:  # refill arithmetic leaves float dust, not a real wait
                    break
                self.stats.waited += wait
                await self.sleep(wait)
            if self.requests.capacity is not None:
                self.requests.level -= 1
            if self.tokens.capacity is not None:
                self.tokens.level -= min(tokens, self.tokens.capacity)
            self._sent.append(now)
            while self._sent and self._sent[0] < now - 60:
                self._sent.popleft()

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Learn limits and remaining budget from an answer's ``x-ratelimit-*`` headers."""
        if not headers:
            return
        now = self.clock()
        for bucket, kind in ((self.requests, "requests"), (self.tokens, "tokens")):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if limit and limit > 0 and not bucket.configured:
                self._headers_seen = True
                bucket.refill(now)
                bucket.set_capacity(limit, now)
            if remaining is not None and bucket.capacity is not None:
                bucket.refill(now)
                # the server has seen fewer of our requests than we have sent, so its
                # count can only be higher than ours; never let it raise our level
                bucket.level = min(bucket.level, remaining)
        self.stats.learned_rpm = None if self.requests.configured else self.requests.capacity
        self.stats.learned_tpm = None if self.tokens.configured else self.tokens.capacity

    def rate_limited(self, wait: float | None) -> None:
        """A 429 arrived: pause all traffic; with no known limit, back the rate off."""
        now = self.clock()
        self.stats.rate_limited += 1
        self.paused_until = max(self.paused_until, now + (wait if wait is not None else 1.0))
        for bucket in (self.requests, self.tokens):
            bucket.refill(now)
            bucket.level = min(bucket.level, 0.0)
        if not self.requests.configured and not self._headers_seen:
            # no limit known: settle just under the rate that got through, never below
            # MIN_LEARNED_RPM (one 429 after a quiet minute says little about the limit)
            got_through = len(self._sent) * 0.8
            current = self.requests.capacity or got_through
            learned = max(MIN_LEARNED_RPM, min(current, got_through) * 0.7)
            self.requests.set_capacity(learned, now)
            self.requests.level = 0.0
            self.stats.learned_rpm = learned
        self._last_raise = now

    def _probe_up(self, now: float) -> None:
        # a rate learned from 429s alone is raised by 10% for each quiet half minute
        if self.requests.configured or self._headers_seen or self.requests.capacity is None:
            return
        if now - self._last_raise >= 30:
            self.requests.capacity *= 1.1
            self._last_raise = now
            self.stats.learned_rpm = self.requests.capacity


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
