"""What a run would do and cost, worked out without calling the model.

For each document: whether it would be recomputed and why, how many chunks it has, and
which requests would be sent. Requests are built exactly as a run builds them and looked
up in the cache, so a plan knows which map calls are already paid for ("1 of 12 chunks
new"). Where map answers are cached the reduce request is rebuilt from them and looked up
too; otherwise its size is estimated. Output tokens can only be estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline import clean as cleaning
from pipeline.chunk import Chunk, chunk
from pipeline.errors import DocumentError
from pipeline.glossary import Glossary
from pipeline.llm import LLM, parse_answer
from pipeline.load import discover, load
from pipeline.mapreduce import (
    collapse_groups,
    collapse_messages,
    map_messages,
    notes_json,
    reduce_messages,
    title_of,
)
from pipeline.outputs import display_path, fingerprint, read_index, read_output, stale_reasons
from pipeline.pricing import cost
from pipeline.prompts import PromptSet
from pipeline.schemas import BilingualSummary, ChunkNotes
from pipeline.settings import Settings

REDUCE_OUTPUT_ESTIMATE = 1100  # tokens of a typical bilingual summary with figures


def notes_estimate(chunk_tokens: int, map_max_tokens: int) -> int:
    """Expected output tokens of one map call: notes run at about a third of their input."""
    return min(map_max_tokens, chunk_tokens // 3 + 80)


@dataclass
class DocPlan:
    doc_id: str
    source: str
    reasons: list[str]
    chunks: int = 0
    new_chunks: int = 0
    requests: int = 0  # calls that are not cached
    prompt_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None

    @property
    def recompute(self) -> bool:
        return bool(self.reasons) and self.error is None and self.reasons != ["deleted"]

    def describe(self) -> str:
        if self.error:
            return f"cannot load: {self.error}"
        text = ", ".join(self.reasons) or "unchanged"
        if self.recompute and self.chunks and "new" not in self.reasons:
            text += f", {self.new_chunks} of {self.chunks} chunks new"
        return text


@dataclass
class Plan:
    model: str
    documents: list[DocPlan] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.documents if d.recompute)

    @property
    def prompt_tokens(self) -> int:
        return sum(d.prompt_tokens for d in self.documents if d.recompute)

    @property
    def output_tokens(self) -> int:
        return sum(d.output_tokens for d in self.documents if d.recompute)

    def cost(self, *, batch: bool = False) -> float:
        return cost(self.model, self.prompt_tokens, self.output_tokens, batch=batch)

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost(), 6),
            "batch_cost_usd": round(self.cost(batch=True), 6),
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "source": d.source,
                    "recompute": d.recompute,
                    "reasons": d.reasons,
                    "summary": d.describe(),
                    "chunks": d.chunks,
                    "new_chunks": d.new_chunks,
                    "requests": d.requests,
                    "prompt_tokens": d.prompt_tokens,
                    "output_tokens": d.output_tokens,
                    "cost_usd": round(cost(self.model, d.prompt_tokens, d.output_tokens), 6),
                    "error": d.error,
                }
                for d in self.documents
            ],
        }


class Planner:
    def __init__(
        self, settings: Settings, prompts: PromptSet, llm: LLM, count, glossary: Glossary
    ) -> None:
        self.glossary = glossary
        self.settings = settings
        self.prompts = prompts
        self.llm = llm
        self.count = count

    def _request(self, messages, schema, max_tokens):
        tokens = sum(self.count(m["content"]) + 4 for m in messages)
        return self.llm.build_request(
            messages, schema, max_tokens, self.llm.mode, self.prompts["output_format"], tokens
        ), tokens

    def _charge(self, plan: DocPlan, messages, schema, max_tokens, expected) -> object | None:
        """Count one call if it is not cached; return the cached value if it is."""
        request, tokens = self._request(messages, schema, max_tokens)
        answer = self.llm.cached(request)
        if answer is not None:
            value, problems = parse_answer(answer, schema, max_tokens)
            if value is not None and not problems:
                return value
        plan.requests += 1
        plan.prompt_tokens += tokens
        plan.output_tokens += expected
        return None

    def document(self, path: Path, only_changed: bool, failed_before: bool) -> DocPlan:
        doc_id, source = path.stem, display_path(path)
        try:
            doc = load(path)
        except DocumentError as exc:
            return DocPlan(
                doc_id, source, ["failed last time"] if failed_before else [], error=str(exc)
            )
        previous = read_output(self.settings.outputs / f"{doc_id}.json")
        fp = fingerprint(doc.sha256, self.settings, self.prompts, self.glossary.digest)
        reasons = stale_reasons(previous, fp, failed_before)
        if not only_changed and not reasons:
            reasons = ["summarise all"]
        plan = DocPlan(doc_id, source, reasons)
        if not plan.recompute:
            return plan
        cleaned = cleaning.clean(doc.text)
        chunks = chunk(cleaned.text, self.settings.chunk_tokens, self.enc)
        title = title_of(doc.metadata.title, cleaned.paragraphs)
        self._calls(plan, title, chunks)
        return plan

    def _calls(self, plan: DocPlan, title: str, chunks: list[Chunk]) -> None:
        s = self.settings
        plan.chunks = len(chunks)
        notes: list[ChunkNotes] = []
        missing_tokens = 0
        for c in chunks:
            expected = notes_estimate(c.tokens, s.map_max_tokens)
            value = self._charge(
                plan, map_messages(self.prompts, title, c), ChunkNotes, s.map_max_tokens, expected
            )
            if value is None:
                plan.new_chunks += 1
                missing_tokens += expected
            else:
                notes.append(value)
        if missing_tokens:  # the reduce input is unknown until the maps run: estimate it
            notes_tokens = self.count(notes_json(notes)) + missing_tokens
            rounds_input = notes_tokens
            while rounds_input > s.reduce_tokens:
                groups = -(-rounds_input // s.reduce_tokens)
                plan.requests += groups
                plan.prompt_tokens += rounds_input + groups * 600
                rounds_input = groups * notes_estimate(s.reduce_tokens, s.map_max_tokens)
                plan.output_tokens += rounds_input
            plan.requests += 1
            plan.prompt_tokens += rounds_input + self.count(
                reduce_messages(self.prompts, title, s.script, [], self.glossary)[0]["content"]
            )
            plan.output_tokens += REDUCE_OUTPUT_ESTIMATE
            return
        while self.count(notes_json(notes)) > s.reduce_tokens:
            merged = []
            for group in collapse_groups(notes, s.reduce_tokens, self.count):
                value = self._charge(
                    plan,
                    collapse_messages(self.prompts, title, group),
                    ChunkNotes,
                    s.map_max_tokens,
                    notes_estimate(s.reduce_tokens, s.map_max_tokens),
                )
                if value is None:  # a collapse to run: what follows is an estimate
                    plan.requests += 1
                    plan.output_tokens += REDUCE_OUTPUT_ESTIMATE
                    return
                merged.append(value)
            if len(merged) == len(notes):
                break
            notes = merged
        self._charge(
            plan,
            reduce_messages(self.prompts, title, s.script, notes, self.glossary),
            BilingualSummary,
            s.reduce_max_tokens,
            REDUCE_OUTPUT_ESTIMATE,
        )

    @property
    def enc(self):
        from pipeline.encodings import get_encoding

        return get_encoding(self.settings.encoding_name)

    def plan(self, paths: list[Path], *, only_changed: bool) -> Plan:
        files = discover(paths)
        index = read_index(self.settings.outputs)
        result = Plan(self.settings.model)
        for path in files:
            failed = index.get(path.stem, {}).get("status") == "failed"
            result.documents.append(self.document(path, only_changed, failed))
        present = {p.stem for p in files}
        known = set(index) | {
            p.stem for p in self.settings.outputs.glob("*.json") if p.name != "index.json"
        }
        for doc_id in sorted(known - present):
            result.documents.append(
                DocPlan(doc_id, index.get(doc_id, {}).get("source", ""), ["deleted"])
            )
        return result
