"""The same map-reduce workload through LangChain, as its documentation recommends.

Map: one structured-output call per chunk (``ChatOpenAI.with_structured_output(...,
method="json_schema")``) run with ``abatch`` under ``max_concurrency``; reduce: one call
on the notes; documents run with ``abatch`` under the same ``max_concurrency``; requests
are paced by ``InMemoryRateLimiter(requests_per_second=RPM / 60)`` (LangChain's rate
limiter counts requests, not tokens) and retried by the openai client LangChain wraps.
Chunks and prompt text are bisum's own, so only the orchestration differs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.runnables import RunnableLambda
from langchain_openai import ChatOpenAI

from pipeline.chunk import chunk
from pipeline.clean import clean
from pipeline.encodings import get_encoding
from pipeline.glossary import Glossary
from pipeline.load import discover, load
from pipeline.mapreduce import map_messages, reduce_messages, title_of
from pipeline.prompts import load_prompts
from pipeline.schemas import BilingualSummary, ChunkNotes
from pipeline.settings import load_settings


def run(project: Path, base_url: str, rpm: int, concurrency: int, max_retries: int) -> dict:
    settings = load_settings({}, root=project, env={})
    prompts = load_prompts(settings.prompts)
    enc = get_encoding(settings.encoding_name)
    limiter = InMemoryRateLimiter(
        requests_per_second=rpm / 60, check_every_n_seconds=0.05, max_bucket_size=10
    )

    def model(max_tokens: int) -> ChatOpenAI:
        return ChatOpenAI(
            model=settings.model,
            base_url=base_url,
            api_key="bench",
            temperature=0,
            max_tokens=max_tokens,
            rate_limiter=limiter,
            max_retries=max_retries,
            timeout=120,
        )

    mapper = model(settings.map_max_tokens).with_structured_output(
        ChunkNotes, method="json_schema", strict=True
    )
    reducer = model(settings.reduce_max_tokens).with_structured_output(
        BilingualSummary, method="json_schema", strict=True
    )
    config = {"max_concurrency": concurrency}

    async def summarise(path: Path) -> bool:
        doc = load(path)
        cleaned = clean(doc.text)
        title = title_of(doc.metadata.title, cleaned.paragraphs)
        chunks = chunk(cleaned.text, settings.chunk_tokens, enc)
        notes = await mapper.abatch(
            [map_messages(prompts, title, c) for c in chunks], config=config
        )
        summary = await reducer.ainvoke(
            reduce_messages(prompts, title, settings.script, notes, Glossary())
        )
        return isinstance(summary, BilingualSummary)

    async def everything() -> list:
        return await RunnableLambda(summarise).abatch(
            discover([project / "docs"]), config=config, return_exceptions=True
        )

    results = asyncio.run(everything())
    failures = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, bool) or not r]
    return {
        "completed": len(results) - len(failures),
        "failed": len(failures),
        "error_samples": [f[:200] for f in failures[:3]],
    }
