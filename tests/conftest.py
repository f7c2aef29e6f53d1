"""Shared fixtures. Tests run offline: the network is blocked except loopback, where the
stub server (a test double, see tests/stub) listens; cassettes replay recorded HTTP."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cassette import config as cassette_config
from pipeline.cli import main
from tests.stub import StubConfig, StubServer

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DOC_IDS = sorted(p.stem for p in CORPUS.glob("*.txt"))
# read before any test hides the environment: set only when re-recording against a live
# endpoint (`OPENAI_API_KEY=sk-... pytest --record-mode=rewrite -m vcr`)
LIVE_KEY = os.environ.get("OPENAI_API_KEY", "")
LIVE_BASE_URL = os.environ.get("OPENAI_BASE_URL", "")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's key, endpoint or bisum settings."""
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "BISUM_")):
            monkeypatch.delenv(key)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with the repository's prompts, glossary and sample corpus, as the
    cwd."""
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copy(ROOT / "glossary.yaml", tmp_path / "glossary.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def make_stub() -> Iterator[Callable[..., StubServer]]:
    servers: list[StubServer] = []

    def start(**config) -> StubServer:
        server = StubServer(StubConfig(**config)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def stub(make_stub) -> StubServer:
    return make_stub()


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the bisum command line in-process."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    # the product's own cassette settings: body matching, credentials scrubbed
    settings = cassette_config("none", [LIVE_KEY])
    settings.pop("record_mode")  # pytest-recording sets it from --record-mode
    return settings


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(ROOT / "cassettes" / "tests" / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture
def vcr_endpoint(request: pytest.FixtureRequest, make_stub) -> dict[str, str]:
    """Where a cassette test sends its requests. Replaying (the default, record mode
    ``none``) needs no server: the cassette answers. Recording goes to the stub server, or
    to the live endpoint when OPENAI_API_KEY is set in the recording shell."""
    mode = request.config.getoption("--record-mode")
    if mode == "none":
        return {"base_url": "http://127.0.0.1:9/v1", "api_key": "replay"}
    if LIVE_KEY:
        return {"base_url": LIVE_BASE_URL, "api_key": LIVE_KEY}
    return {"base_url": make_stub().url, "api_key": "stub-key"}
