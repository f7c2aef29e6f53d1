"""The one LLM call path against the stub server over real HTTP: retries, Retry-After,
structured-output fallback, re-asks, caching and error translation."""

import asyncio
import json

import pytest

from pipeline.cache import Cache
from pipeline.encodings import get_encoding
from pipeline.errors import ConfigError, InvalidOutput, LLMError, OfflineMiss
from pipeline.glossary import Glossary
from pipeline.llm import LLM, extract_json
from pipeline.mapreduce import map_messages, reduce_messages
from pipeline.prompts import load_prompts
from pipeline.schemas import BilingualSummary, ChunkNotes
from pipeline.settings import load_settings
from tests.conftest import ROOT

ENC = get_encoding("o200k_base")
PROMPTS = load_prompts(ROOT / "prompts")
NOTES = ChunkNotes(facts=["OpenAI財務長Sarah Friar在高盛科技峰會上發言。"], figures=[], entities=[])


class Sleeps:
    """A fake clock: records the waits asked for and advances time instead of waiting."""

    def __init__(self):
        self.calls: list[float] = []
        self.now = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_llm(tmp_path, stub, *, offline=False, sleeps=None, key="test-key", **overrides):
    settings = load_settings(
        {"base_url": stub.url, "api_key": key, "max_attempts": 4, **overrides},
        root=tmp_path,
        env={},
    )
    sleeps = sleeps or Sleeps()
    return LLM(
        settings,
        Cache(tmp_path / "cache.sqlite3"),
        offline=offline,
        sleep=sleeps,
        clock=sleeps.clock,
    )


def ask(llm, schema=ChunkNotes, messages=None):
    messages = messages or (
        reduce_messages(PROMPTS, "標題", "zh-Hans", [NOTES], Glossary())
        if schema is BilingualSummary
        else map_messages(PROMPTS, "標題", _chunk("高盛科技峰會上，OpenAI 宣布 5000億美元 投資。"))
    )

    async def go():
        try:
            return await llm.structured(
                messages,
                schema,
                max_tokens=900,
                reask=PROMPTS["reask"],
                output_format=PROMPTS["output_format"],
                count_tokens=lambda t: len(ENC.encode_ordinary(t)),
            )
        finally:
            await llm.aclose()
            llm.cache.close()

    return asyncio.run(go())


def _chunk(text):
    from pipeline.chunk import Chunk

    return Chunk(0, text, len(ENC.encode_ordinary(text)))


def test_structured_answer_is_parsed_and_cached(tmp_path, stub):
    llm = make_llm(tmp_path, stub)
    result = ask(llm)
    assert "5000億美元" in [f.text for f in result.value.figures]
    assert result.answers[0].model == "stub-gpt-4.1-mini"
    assert stub.stats.requests == 1
    again = ask(make_llm(tmp_path, stub))  # a new run, same cache file
    assert again.value == result.value and again.answers[0].cached
    assert stub.stats.requests == 1  # the rerun sent nothing


def test_server_errors_are_retried(tmp_path, make_stub):
    stub = make_stub(fail_first=2)
    sleeps = Sleeps()
    llm = make_llm(tmp_path, stub, sleeps=sleeps)
    ask(llm)
    assert stub.stats.requests == 3
    assert llm.stats.retries == 2 and len(sleeps.calls) == 2


def test_rate_limit_honours_retry_after_and_pauses_everything(tmp_path, make_stub):
    stub = make_stub(rate_limit_first=1, retry_after=7.5)
    sleeps = Sleeps()
    llm = make_llm(tmp_path, stub, sleeps=sleeps)
    ask(llm)
    assert stub.stats.requests == 2
    assert llm.stats.rate_limited == 1
    # tenacity waits what the server asked for, and the limiter held all traffic as long
    assert sleeps.calls.count(7.5) >= 1
    assert llm.limiter.stats.rate_limited == 1


def test_giving_up_after_max_attempts_says_so(tmp_path, make_stub):
    stub = make_stub(fail_first=100)
    with pytest.raises(LLMError, match="after 4 attempts"):
        ask(make_llm(tmp_path, stub))
    assert stub.stats.requests == 4


def test_errors_are_never_cached(tmp_path, make_stub):
    stub = make_stub(fail_first=100)
    with pytest.raises(LLMError):
        ask(make_llm(tmp_path, stub, max_attempts=1))
    healthy = make_stub()
    ask(make_llm(tmp_path, healthy))
    assert healthy.stats.requests == 1  # nothing was cached from the failure


def test_rejected_json_schema_falls_back_and_is_remembered(tmp_path, make_stub):
    stub = make_stub(reject_json_schema=True)
    llm = make_llm(tmp_path, stub)
    result = ask(llm, BilingualSummary)
    assert result.value.en.headline
    assert llm.mode == "json_object" and "json_schema -> json_object" in llm.stats.mode_fallbacks[0]
    formats = [(b.get("response_format") or {}).get("type") for b in stub.stats.bodies]
    assert formats == ["json_schema", "json_object"]
    # the schema moved into the system prompt
    assert "BilingualSummary" in stub.stats.bodies[1]["messages"][0]["content"]
    # remembered: the next run starts with json_object
    assert make_llm(tmp_path, stub).mode == "json_object"


def test_plain_mode_when_no_json_mode_is_accepted(tmp_path, make_stub):
    stub = make_stub(reject_json_schema=True, reject_json_object=True)
    llm = make_llm(tmp_path, stub)
    ask(llm)
    assert llm.mode == "plain"
    assert "response_format" not in stub.stats.bodies[-1]


def test_malformed_answer_is_reasked_once_with_the_errors(tmp_path, make_stub):
    stub = make_stub(malformed_first=1)
    llm = make_llm(tmp_path, stub)
    result = ask(llm, BilingualSummary)
    assert result.value.zh.headline and llm.stats.reasks == 1
    first, second = stub.stats.bodies
    # a new message list: the original request, the bad answer, then the errors
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2]["role"] == "assistant"
    assert "not valid JSON" in second["messages"][-1]["content"]


def test_truncated_answer_is_reasked(tmp_path, make_stub):
    stub = make_stub(truncate_first=1)
    llm = make_llm(tmp_path, stub)
    ask(llm, BilingualSummary)
    assert "cut off at max_tokens" in stub.stats.bodies[1]["messages"][-1]["content"]


def test_still_invalid_after_the_reask_fails_with_reasons(tmp_path, make_stub):
    stub = make_stub(malformed_first=5)
    with pytest.raises(InvalidOutput) as err:
        ask(make_llm(tmp_path, stub), BilingualSummary)
    assert err.value.problems and stub.stats.requests == 2  # one answer, one re-ask


def test_offline_never_calls(tmp_path, stub):
    with pytest.raises(OfflineMiss):
        ask(make_llm(tmp_path, stub, offline=True))
    assert stub.stats.requests == 0


def test_a_refused_key_stops_the_run_with_a_clear_message(tmp_path, make_stub):
    stub = make_stub(require_key="right-key")
    with pytest.raises(ConfigError, match="refused the API key"):
        ask(make_llm(tmp_path, stub, key="wrong-key"))


def test_exhausted_quota_is_not_retried(tmp_path, make_stub):
    stub = make_stub(quota_exhausted=True)
    sleeps = Sleeps()
    with pytest.raises(ConfigError, match="no quota"):
        ask(make_llm(tmp_path, stub, sleeps=sleeps))
    assert sleeps.calls == []


def test_the_key_never_reaches_the_cache(tmp_path, make_stub):
    # a fake key, assembled at run time so that secret scanners do not flag this file
    secret = "sk-" + "test-NEVER-STORE-THIS-0123456789abcdef"
    stub = make_stub(require_key=secret)
    ask(make_llm(tmp_path, stub, key=secret))
    for path in tmp_path.glob("cache.sqlite3*"):
        assert secret.encode() not in path.read_bytes()


def test_json_is_extracted_from_chatty_answers():
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Sure! Here it is: {"a": {"b": 2}} Hope it helps.') == {"a": {"b": 2}}
    with pytest.raises(json.JSONDecodeError):
        extract_json("no json here")
