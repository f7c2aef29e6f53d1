"""The jobs behind the commands: plan a run, or run it under the lock.

A run: lock the state folder, sweep temp files a killed run left, load and release the
prompts, check the budget against the plan, optionally replay or record a cassette, run
every document, and append the run to the run log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from pipeline.cache import Cache
from pipeline.cassette import recording, replaying
from pipeline.encodings import get_encoding
from pipeline.errors import BudgetExceeded, ConfigError
from pipeline.files import sweep_temp
from pipeline.glossary import load_glossary
from pipeline.llm import LLM, CallStats
from pipeline.load import discover
from pipeline.plan import Plan, Planner
from pipeline.prompts import PromptSet, load_prompts
from pipeline.runlock import run_lock
from pipeline.runlog import append_run
from pipeline.runner import Outcome, Runner, RunReport, open_cache
from pipeline.settings import Settings

Progress = Callable[[int, CallStats], AbstractContextManager[Callable[[Outcome | None], None]]]


@dataclass(frozen=True)
class RunOptions:
    command: str = "summarise"
    only_changed: bool = False  # refresh: skip documents whose fingerprint is unchanged
    prune: bool = False
    offline: bool = False
    replay: Path | None = None
    record: Path | None = None
    read_cache: bool = True


def _plan(
    paths: list[Path], settings: Settings, prompts: PromptSet, cache: Cache, only_changed: bool
) -> Plan:
    enc = get_encoding(settings.encoding_name)
    planner = Planner(
        settings,
        prompts,
        LLM(settings, cache),
        lambda t: len(enc.encode_ordinary(t)),
        load_glossary(settings.glossary),
    )
    return planner.plan(paths, only_changed=only_changed)


def plan(paths: list[Path], settings: Settings, *, only_changed: bool) -> Plan:
    """What a run would send and cost; sends nothing and writes nothing."""
    prompts = load_prompts(settings.prompts)
    cache = open_cache(settings)
    try:
        return _plan(paths, settings, prompts, cache, only_changed)
    finally:
        cache.close()


def _check_access(settings: Settings, options: RunOptions) -> Settings:
    if options.replay and options.record:
        raise ConfigError("--replay and --record cannot be used together")
    if options.replay and settings.api_key is None:
        # replayed requests go to the configured (or default) host as in a live run, so
        # their cache keys match a later --offline run; the cassette answers them all and
        # refuses any it lacks, so nothing leaves the machine and no key is needed
        return settings.model_copy(update={"api_key": SecretStr("replay")})
    if not (options.offline or options.replay or settings.api_key or settings.base_url):
        raise ConfigError(
            "OPENAI_API_KEY is not set. Set it, point --base-url/OPENAI_BASE_URL at a local "
            "server, run from the cache with --offline, or replay a cassette with --replay"
        )
    return settings


def run(
    paths: list[Path], settings: Settings, options: RunOptions, progress: Progress | None = None
) -> RunReport:
    settings = _check_access(settings, options)
    with run_lock(settings.state_dir, options.command), ExitStack() as stack:
        sweep_temp(settings.outputs)
        prompts = load_prompts(settings.prompts, release=True)
        cache = open_cache(settings)
        stack.callback(cache.close)
        if settings.max_cost is not None:
            quote = _plan(paths, settings, prompts, cache, options.only_changed)
            if quote.cost() > settings.max_cost:
                raise BudgetExceeded(
                    f"the plan costs about ${quote.cost():.4f} ({quote.requests} requests, "
                    f"{quote.prompt_tokens:,} prompt + ~{quote.output_tokens:,} output tokens "
                    f"on {settings.model}), above --max-cost ${settings.max_cost:.4f}; "
                    "nothing was sent"
                )
        if options.replay:
            stack.enter_context(replaying(options.replay))
        if options.record:
            secret = settings.api_key.get_secret_value() if settings.api_key else ""
            stack.enter_context(recording(options.record, [secret]))
        runner = Runner(
            settings,
            prompts,
            cache,
            glossary=load_glossary(settings.glossary),
            offline=options.offline,
            read_cache=options.read_cache,
        )
        files = discover(paths)
        bar = progress(len(files), runner.llm.stats) if progress else nullcontext()
        with bar as on_progress:
            runner.on_progress = on_progress
            report = asyncio.run(
                runner.run(
                    files,
                    command=options.command,
                    only_changed=options.only_changed,
                    prune=options.prune,
                )
            )
        append_run(settings.state_dir, report)
    return report
