"""Map-reduce over one document: chunk -> notes, notes -> (collapse ->) bilingual summary.

Prompts are rendered by pure functions here, so that the planner can build exactly the
requests a run would send (and look them up in the cache) without sending any.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.chunk import Chunk
from pipeline.errors import InvalidOutput
from pipeline.glossary import Glossary
from pipeline.llm import LLM, Answer
from pipeline.prompts import PromptSet
from pipeline.schemas import BilingualSummary, ChunkNotes, Problem
from pipeline.script import NAMES
from pipeline.settings import Settings
from pipeline.validate import check_notes, check_summary, to_script

MAX_COLLAPSE_ROUNDS = 4
UNTITLED = "(untitled)"


def title_of(metadata_title: str, paragraphs: list[str]) -> str:
    """The metadata title, or a short first line that reads as a headline."""
    if metadata_title:
        return metadata_title
    first = paragraphs[0] if paragraphs else ""
    return first if 0 < len(first) <= 80 and not first.endswith("。") else UNTITLED


def notes_json(notes: list[ChunkNotes]) -> str:
    return json.dumps([n.model_dump() for n in notes], ensure_ascii=False)


def map_messages(prompts: PromptSet, title: str, chunk: Chunk) -> list[dict[str, str]]:
    return prompts["map"].render(title=title, document=chunk.text)


def collapse_messages(prompts: PromptSet, title: str, notes: list[ChunkNotes]):
    return prompts["collapse"].render(title=title, notes=notes_json(notes))


def reduce_messages(
    prompts: PromptSet, title: str, script: str, notes: list[ChunkNotes], glossary: Glossary
):
    prompt = prompts["reduce"]
    text = notes_json(notes)
    values = {"title": title, "script": NAMES[script], "notes": text}
    if "glossary" in prompt.variables:  # reduce v2 on; v1 had no glossary
        values["glossary"] = glossary.prompt_lines(text)
    return prompt.render(**values)


def collapse_groups(
    notes: list[ChunkNotes], budget: int, count: Callable[[str], int]
) -> list[list[ChunkNotes]]:
    """Consecutive groups of notes, each within ``budget`` tokens (at least two a group
    when possible, so that every round shrinks the list)."""
    groups: list[list[ChunkNotes]] = []
    for note in notes:
        if groups and (len(groups[-1]) < 2 or count(notes_json([*groups[-1], note])) <= budget):
            groups[-1].append(note)
        else:
            groups.append([note])
    return groups


@dataclass
class Summarised:
    summary: BilingualSummary
    answers: list[Answer]
    chunks: int
    collapse_rounds: int
    problems: list[Problem]  # checks still failing after the re-ask: needs review


@dataclass
class Summariser:
    llm: LLM
    prompts: PromptSet
    settings: Settings
    count: Callable[[str], int]
    glossary: Glossary

    async def _ask(self, messages, schema, max_tokens, check, priority):
        result = await self.llm.structured(
            messages,
            schema,
            max_tokens=max_tokens,
            reask=self.prompts["reask"],
            output_format=self.prompts["output_format"],
            count_tokens=self.count,
            check=check,
            priority=priority,
        )
        return result.value, list(result.answers)

    async def summarise(
        self,
        title: str,
        chunks: list[Chunk],
        priority: int = 0,
        review: Callable[[BilingualSummary], list[Problem]] | None = None,
    ) -> Summarised:
        answers: list[Answer] = []
        mapped = await asyncio.gather(
            *(
                self._ask(
                    map_messages(self.prompts, title, chunk),
                    ChunkNotes,
                    self.settings.map_max_tokens,
                    check_notes,
                    (priority, 0, chunk.index),
                )
                for chunk in chunks
            )
        )
        notes = [value for value, _ in mapped]
        for _, got in mapped:
            answers.extend(got)
        notes, rounds = await self._collapse(title, notes, answers, priority)

        script = self.settings.script
        messages = reduce_messages(self.prompts, title, script, notes, self.glossary)

        async def reduce(conversation):
            summary, got = await self._ask(
                conversation,
                BilingualSummary,
                self.settings.reduce_max_tokens,
                lambda s: check_summary(to_script(s, script), script),
                (priority, MAX_COLLAPSE_ROUNDS + 1, len(answers)),
            )
            answers.extend(got)
            summary = to_script(summary, script)
            return summary, got[-1], review(summary) if review else []

        summary, answer, problems = await reduce(messages)
        if problems:
            # one re-ask naming what the checks found, as a new message list
            self.llm.stats.reasks += 1
            retry = [
                *messages,
                {"role": "assistant", "content": answer.content},
                *self.prompts["reask"].render(errors="\n".join(f"- {p.message}" for p in problems)),
            ]
            second, _, second_problems = await reduce(retry)
            if len(second_problems) <= len(problems):
                summary, problems = second, second_problems
        return Summarised(summary, answers, len(chunks), rounds, problems)

    async def _collapse(self, title, notes, answers, priority):
        rounds = 0
        while self.count(notes_json(notes)) > self.settings.reduce_tokens:
            groups = collapse_groups(notes, self.settings.reduce_tokens, self.count)
            if rounds == MAX_COLLAPSE_ROUNDS or len(groups) == len(notes):
                raise InvalidOutput(
                    f"notes still exceed reduce_tokens={self.settings.reduce_tokens} after "
                    f"{rounds} collapse rounds; raise reduce_tokens or lower chunk_tokens"
                )
            rounds += 1
            collapsed = await asyncio.gather(
                *(
                    self._ask(
                        collapse_messages(self.prompts, title, group),
                        ChunkNotes,
                        self.settings.map_max_tokens,
                        check_notes,
                        (priority, rounds, i),
                    )
                    for i, group in enumerate(groups)
                )
            )
            notes = [value for value, _ in collapsed]
            for _, got in collapsed:
                answers.extend(got)
        return notes, rounds
