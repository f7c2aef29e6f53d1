"""Recorded HTTP: the README's offline run, replayed client calls, and no secrets on disk."""

import asyncio
import re

import pytest
import yaml

from pipeline.cache import Cache
from pipeline.cassette import SECRET_HEADERS
from pipeline.encodings import get_encoding
from pipeline.llm import LLM
from pipeline.mapreduce import map_messages
from pipeline.prompts import load_prompts
from pipeline.schemas import ChunkNotes
from pipeline.settings import load_settings
from tests.conftest import ROOT, run

CASSETTES = sorted((ROOT / "cassettes").rglob("*.yaml"))
KEY_PATTERN = re.compile(r"sk-(proj-)?[A-Za-z0-9_-]{16,}|Bearer\s+\S{12,}")


def test_readme_command_reproduces_the_committed_outputs(project):
    result = run(
        "summarise", "corpus/", "--replay", ROOT / "cassettes/corpus.yaml", "--no-progress"
    )
    assert result.exit_code == 0, result.output
    committed = sorted((ROOT / "outputs").iterdir())
    produced = sorted((project / "outputs").iterdir())
    assert [p.name for p in produced] == [p.name for p in committed]
    for mine, theirs in zip(produced, committed, strict=True):
        assert mine.read_bytes() == theirs.read_bytes(), f"{mine.name} differs"


def test_then_offline_makes_no_request_and_changes_no_byte(project):
    assert run("summarise", "corpus/", "--replay", ROOT / "cassettes/corpus.yaml").exit_code == 0
    before = {p.name: p.read_bytes() for p in (project / "outputs").iterdir()}
    result = run("summarise", "corpus/", "--offline", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "0 sent" in result.output and "cache hits" in result.output
    assert {p.name: p.read_bytes() for p in (project / "outputs").iterdir()} == before


def test_replay_refuses_a_request_the_cassette_lacks(project):
    (project / "corpus" / "new.txt").write_text(
        "一篇錄製時不存在的新文章，內容與其他文章不同。" * 3
    )
    result = run("summarise", "corpus/", "--replay", ROOT / "cassettes/corpus.yaml")
    assert result.exit_code == 1
    assert "new" in result.output and "not in cassette" in result.output
    assert (project / "outputs" / "000_fdd9e036d747b5c2.json").is_file()


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cassette_holds_a_credential(path):
    text = path.read_text("utf-8")
    assert not KEY_PATTERN.search(text)
    for interaction in yaml.safe_load(text)["interactions"]:
        for side in ("request", "response"):
            names = {h.lower() for h in interaction[side].get("headers", {})}
            assert not names & set(SECRET_HEADERS), (
                f"{side} header kept: {names & set(SECRET_HEADERS)}"
            )


def test_recording_scrubs_the_key(project, make_stub):
    # a fake key, assembled at run time so that secret scanners do not flag this file
    secret = "sk-" + "proj-DO-NOT-RECORD-0123456789abcdefghij"
    stub = make_stub(require_key=secret)
    result = run(
        "summarise",
        "corpus/",
        "--base-url",
        stub.url,
        "--record",
        "rec.yaml",
        env={"OPENAI_API_KEY": secret},
    )
    assert result.exit_code == 0, result.output
    text = (project / "rec.yaml").read_text()
    assert secret not in text and "authorization" not in text.lower()
    assert text.count("uri:") == stub.stats.requests


@pytest.mark.vcr
def test_a_map_call_through_the_real_client_replays(tmp_path, vcr_endpoint):
    """Recorded from the stub (or a live endpoint, see README); replayed with no server."""
    settings = load_settings(
        {"base_url": vcr_endpoint["base_url"] or None, "api_key": vcr_endpoint["api_key"]},
        root=tmp_path,
        env={},
    )
    prompts = load_prompts(ROOT / "prompts")
    enc = get_encoding("o200k_base")
    text = (ROOT / "corpus" / "001_ce46cb70e5db9093.txt").read_text("utf-8")[:600]
    from pipeline.chunk import chunk

    messages = map_messages(prompts, "(untitled)", chunk(text, 2000, enc)[0])
    llm = LLM(settings, Cache(tmp_path / "c.sqlite3"))

    async def call():
        try:
            return await llm.structured(
                messages,
                ChunkNotes,
                max_tokens=settings.map_max_tokens,
                reask=prompts["reask"],
                output_format=prompts["output_format"],
                count_tokens=lambda t: len(enc.encode_ordinary(t)),
            )
        finally:
            await llm.aclose()
            llm.cache.close()

    result = asyncio.run(call())
    assert result.value.facts
    assert any("1.4" in f.text for f in result.value.figures)
