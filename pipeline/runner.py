"""A run over many documents: load, clean, chunk, summarise, check and write each one.

Documents go concurrently, requests share one priority queue (earlier documents first),
and a document's failure is recorded with its reason while the rest of the batch goes on.
Only errors that no document can escape (a refused API key, a missing cassette) stop the
run. Outputs are written per document as each finishes, so an interrupted run keeps what
it finished; ``index.json`` is written at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import tiktoken

from pipeline import clean as cleaning
from pipeline.cache import Cache
from pipeline.checks import reviewer
from pipeline.chunk import chunk
from pipeline.encodings import get_encoding
from pipeline.errors import DocumentError
from pipeline.files import sweep_temp, sync_directory
from pipeline.glossary import Glossary
from pipeline.llm import LLM, Answer, CallStats
from pipeline.load import load, read, source_hash
from pipeline.mapreduce import Summariser, title_of
from pipeline.outputs import (
    display_path,
    failed_entry,
    fingerprint,
    index_entry,
    read_index,
    read_output,
    remove_output,
    stale_reasons,
    write_index,
    write_output,
)
from pipeline.pricing import cost
from pipeline.prompts import PromptSet
from pipeline.schemas import Fingerprint, OutputDocument, Provenance, Source
from pipeline.settings import Settings

CACHE_FILE = "cache.sqlite3"


@dataclass
class Outcome:
    doc_id: str
    source: str
    status: str  # ok | needs_review | failed | unchanged | deleted | pruned
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    written: bool = False
    checks: list[str] = field(default_factory=list)
    entry: dict | None = None  # this document's index.json entry


@dataclass
class RunReport:
    command: str
    outcomes: list[Outcome]
    stats: CallStats
    cost_usd: float
    started: float
    finished: float
    swept: list[str] = field(default_factory=list)
    released: tuple[str, ...] = ()

    def __repr__(self) -> str:  # short: asyncio may format the task that returns it
        return f"RunReport({self.command!r}, {len(self.outcomes)} documents)"

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def provenance(
    settings: Settings, prompts: PromptSet, answers: list[Answer], chunks: int
) -> Provenance:
    tokens_in = sum(a.prompt_tokens for a in answers)
    tokens_out = sum(a.completion_tokens for a in answers)
    return Provenance(
        model=answers[-1].model if answers else "",
        requested_model=settings.model,
        prompts={s: r for s, r in prompts.refs().items() if s in ("map", "collapse", "reduce")},
        chunks=chunks,
        calls=len(answers),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=round(cost(settings.model, tokens_in, tokens_out), 6),
    )


@dataclass
class Runner:
    settings: Settings
    prompts: PromptSet
    cache: Cache
    glossary: Glossary = field(default_factory=Glossary)
    offline: bool = False
    read_cache: bool = True
    on_progress: Callable[[Outcome | None], None] | None = None

    def __post_init__(self) -> None:
        self.llm = LLM(self.settings, self.cache, offline=self.offline, read_cache=self.read_cache)
        self.summariser = Summariser(
            self.llm, self.prompts, self.settings, self.count_tokens, self.glossary
        )
        self.review = reviewer(self.glossary)

    @cached_property
    def enc(self) -> tiktoken.Encoding:
        return get_encoding(self.settings.encoding_name)  # loaded only if a document changed

    @cached_property
    def count_tokens(self) -> Callable[[str], int]:
        # system prompts repeat in every request: count each distinct text once
        return lru_cache(maxsize=2048)(lambda text: len(self.enc.encode_ordinary(text)))

    @cached_property
    def _fingerprint_base(self) -> dict:
        """Every fingerprint part but the source's hash, which is the same for all documents."""
        base = fingerprint("", self.settings, self.prompts, self.glossary.digest)
        return base.model_dump(mode="json")

    def _up_to_date(self, doc_id: str, source_sha256: str, entry: dict | None) -> bool:
        """The index already records this fingerprint for a written output: nothing to read."""
        return (
            entry is not None
            and entry.get("status") in ("ok", "needs_review")
            and entry.get("fingerprint") == {**self._fingerprint_base, "source": source_sha256}
            and (self.settings.outputs / f"{doc_id}.json").is_file()
        )

    async def _one(self, index: int, path: Path, only_changed: bool, existing: dict) -> Outcome:
        source = display_path(path)
        doc_id = path.stem
        fp: Fingerprint | None = None
        try:
            data = read(path)
            sha256 = source_hash(data)
            entry = existing.get(doc_id)
            if only_changed and self._up_to_date(doc_id, sha256, entry):
                return Outcome(doc_id, source, "unchanged", entry=entry)
            fp = Fingerprint.model_validate({**self._fingerprint_base, "source": sha256})
            previous = read_output(self.settings.outputs / f"{doc_id}.json")
            failed_before = (entry or {}).get("status") == "failed"
            reasons = stale_reasons(previous, fp, failed_before)
            if only_changed and previous is not None and not reasons:
                return Outcome(doc_id, source, "unchanged", entry=index_entry(previous))
            doc = load(path, data)
            cleaned = cleaning.clean(doc.text)
            chunks = chunk(cleaned.text, self.settings.chunk_tokens, self.enc)
            if not chunks:
                raise DocumentError("nothing left after cleaning")
            title = title_of(doc.metadata.title, cleaned.paragraphs)
            done = await self.summariser.summarise(
                title, chunks, priority=index, review=self.review(cleaned.text)
            )
            problems = done.problems
            output = OutputDocument(
                doc_id=doc_id,
                status="needs_review" if problems else "ok",
                source=Source(
                    path=source,
                    sha256=doc.sha256,
                    encoding=doc.encoding,
                    title=doc.metadata.title,
                    date=doc.metadata.date,
                    source_url=doc.metadata.source_url or cleaning.source_link(cleaned),
                ),
                summary=done.summary,
                checks=problems,
                provenance=provenance(self.settings, self.prompts, done.answers, done.chunks),
                fingerprint=fp,
            )
            written = write_output(self.settings.outputs, output)
            return Outcome(
                doc_id,
                source,
                output.status,
                reasons,
                written=written,
                checks=[f"{p.check}: {p.message}" for p in problems],
                entry=index_entry(output),
            )
        except DocumentError as exc:
            return Outcome(
                doc_id, source, "failed", error=str(exc), entry=failed_entry(source, str(exc), fp)
            )

    async def run(
        self, files: list[Path], *, command: str, only_changed: bool = False, prune: bool = False
    ) -> RunReport:
        """Summarise ``files`` (as ``discover`` lists them) into the outputs folder."""
        started = time.time()
        outputs = self.settings.outputs
        swept = [str(p) for p in sweep_temp(outputs)]
        existing = read_index(outputs)
        window = asyncio.Semaphore(max(4, self.settings.concurrency * 2))

        async def guarded(i: int, path: Path) -> Outcome:
            async with window:
                outcome = await self._one(i, path, only_changed, existing)
            if self.on_progress:
                self.on_progress(outcome)
            return outcome

        try:
            outcomes = list(await asyncio.gather(*(guarded(i, p) for i, p in enumerate(files))))
        finally:
            await self.llm.aclose()
        outcomes += self._deleted(files, existing, prune)
        if self._update_index(existing, outcomes) or any(o.written for o in outcomes):
            sync_directory(self.settings.outputs)  # this run's renames, durable at once
        stats = self.llm.stats
        return RunReport(
            command=command,
            outcomes=outcomes,
            stats=stats,
            cost_usd=cost(self.settings.model, stats.tokens_in, stats.tokens_out),
            started=started,
            finished=time.time(),
            swept=swept,
            released=self.prompts.released_now,
        )

    def _deleted(self, files: list[Path], existing: dict, prune: bool) -> list[Outcome]:
        """Outputs whose source is gone: listed, and removed with ``prune``."""
        present = {p.stem for p in files}
        known = set(existing) | {
            p.stem for p in self.settings.outputs.glob("*.json") if p.name != "index.json"
        }
        gone = []
        for doc_id in sorted(known - present):
            source = existing.get(doc_id, {}).get("source", "")
            if prune:
                remove_output(self.settings.outputs, doc_id)
                gone.append(Outcome(doc_id, source, "pruned", ["deleted"], written=True))
            else:
                gone.append(Outcome(doc_id, source, "deleted", ["deleted"]))
        return gone

    def _update_index(self, existing: dict, outcomes: list[Outcome]) -> bool:
        """Write index.json when it changed; True when it was written."""
        documents = dict(existing)
        for outcome in outcomes:
            if outcome.status == "pruned":
                documents.pop(outcome.doc_id, None)
            elif outcome.entry is not None:
                documents[outcome.doc_id] = outcome.entry
        if documents == existing and (self.settings.outputs / "index.json").is_file():
            return False  # nothing changed: skip serialising an index of every document
        write_index(self.settings.outputs, dict(sorted(documents.items())))
        return True


def open_cache(settings: Settings) -> Cache:
    return Cache(settings.state_dir / CACHE_FILE)
