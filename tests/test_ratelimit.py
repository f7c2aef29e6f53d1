"""The rate limiter: charging, pausing, learning from headers and from 429s (with a fake
clock, so nothing waits), and its agreement with the stub server over real HTTP."""

import asyncio

import pytest

from pipeline.cache import Cache
from pipeline.llm import LLM
from pipeline.ratelimit import MIN_LEARNED_RPM, RateLimiter, parse_duration, retry_after
from pipeline.settings import load_settings


class Clock:
    def __init__(self):
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def limiter(**kwargs) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(clock=clock, sleep=clock.sleep, **kwargs), clock


def acquire(lim: RateLimiter, *charges: int) -> None:
    async def go():
        for charge in charges:
            await lim.acquire(charge)

    asyncio.run(go())


def test_requests_are_charged_prompt_plus_max_tokens_and_wait_when_the_bucket_is_empty():
    lim, clock = limiter(rpm=600, tpm=1000)
    acquire(lim, 400, 400)
    assert clock.sleeps == [] and lim.tokens.level == pytest.approx(200)
    acquire(lim, 400)  # 200 short: 200 tokens at 1000/min take 12 s to refill
    assert clock.sleeps == [pytest.approx(12.0)]


def test_the_request_budget_binds_too():
    lim, clock = limiter(rpm=60)
    acquire(lim, *[0] * 61)
    assert sum(clock.sleeps) == pytest.approx(1.0)  # the 61st request waits one second


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_not_forever():
    lim, clock = limiter(tpm=1000)
    acquire(lim, 900, 5000)
    assert sum(clock.sleeps) == pytest.approx(54.0)  # refill to full: 900 tokens in 54 s


def test_a_429_pauses_all_traffic_for_its_retry_after_and_stays_charged():
    lim, clock = limiter(rpm=600, tpm=100_000)
    acquire(lim, 1000)
    lim.rate_limited(5.0)
    assert lim.tokens.level <= 0  # the failed request is not refunded
    acquire(lim, 10)
    assert clock.sleeps[0] == pytest.approx(5.0)
    assert lim.stats.paused == pytest.approx(5.0)


def test_limits_are_learned_from_headers_and_remaining_is_respected():
    lim, clock = limiter()
    acquire(lim, 10)  # nothing known: no waiting
    lim.observe(
        {
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-remaining-requests": "2",
            "x-ratelimit-limit-tokens": "50000",
            "x-ratelimit-remaining-tokens": "49000",
            "x-ratelimit-reset-requests": "1m0s",
        }
    )
    assert lim.requests.capacity == 100 and lim.tokens.capacity == 50_000
    assert lim.stats.learned_rpm == 100
    acquire(lim, 10, 10)
    assert clock.sleeps == []
    acquire(lim, 10)  # the server said 2 remained: the third waits for refill
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(0.6)


def test_configured_limits_are_not_overridden_by_headers():
    lim, _ = limiter(rpm=50)
    lim.observe({"x-ratelimit-limit-requests": "5000"})
    assert lim.requests.capacity == 50


def test_without_headers_a_429_backs_the_rate_off_then_it_probes_up():
    lim, clock = limiter()
    acquire(lim, *[0] * 100)  # 100 requests went through this minute
    lim.rate_limited(1.0)
    learned = lim.requests.capacity
    assert learned == pytest.approx(100 * 0.8 * 0.7)
    clock.now += 31  # a quiet half minute
    acquire(lim, 0)
    assert lim.requests.capacity == pytest.approx(learned * 1.1)


def test_a_single_429_after_a_quiet_spell_does_not_starve_the_client():
    lim, _ = limiter()
    acquire(lim, 0)
    lim.rate_limited(None)
    assert lim.requests.capacity == MIN_LEARNED_RPM


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360), ("12ms", 0.012), ("1s", 1), ("1.5", 1.5), ("1h2m3s", 3723), ("soon", None)],
)
def test_reset_durations(text, seconds):
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_prefers_milliseconds():
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after(None) is None


def _llm(tmp_path, stub, **flags):
    clock = Clock()
    settings = load_settings({"base_url": stub.url, "api_key": "k", **flags}, root=tmp_path, env={})
    return LLM(settings, Cache(tmp_path / "c.sqlite3"), sleep=clock.sleep, clock=clock), clock


def _ask(llm, n=1):
    async def go():
        try:
            for i in range(n):
                await llm.complete(
                    {
                        "model": "gpt-4.1-mini",
                        "messages": [
                            {"role": "system", "content": "a ChunkNotes"},
                            {
                                "role": "user",
                                "content": f"<<<ARTICLE\n第{i}段新聞內容。\nARTICLE>>>",
                            },
                        ],
                        "max_tokens": 300,
                        "prompt_tokens_estimate": 50,
                    }
                )
        finally:
            await llm.aclose()
            llm.cache.close()

    asyncio.run(go())


def test_the_client_learns_the_servers_limits_from_its_headers(tmp_path, make_stub):
    stub = make_stub(rpm=120, tpm=90_000)
    llm, _ = _llm(tmp_path, stub)
    _ask(llm)
    assert llm.limiter.requests.capacity == 120 and llm.limiter.tokens.capacity == 90_000
    assert llm.limiter.requests.level <= 119


def test_the_client_charges_exactly_what_the_server_charges(tmp_path, make_stub):
    """prompt tokens + max_tokens, counted the same way on both sides, so that a client
    told the server's limits never runs into them."""
    from tests.test_llm import ask  # a real map request through the one call path

    stub = make_stub(tpm=10**9)
    llm, _ = _llm(tmp_path, stub, tpm=10**9)
    ask(llm)
    assert stub.stats.requests == 1
    charged_by_client = 10**9 - llm.limiter.tokens.level  # the fake clock never refills
    assert charged_by_client == stub.stats.charged_tokens
