"""The ``bisum`` command line: parse options, call the library, print.

Each command turns bisum's own errors into one line on stderr and an exit code:
0 every document done, 1 some documents failed (each listed), 2 a usage or configuration
error, 75 another run holds the lock.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from pipeline import __version__
from pipeline.errors import BisumError
from pipeline.settings import Settings, load_settings

EPILOG_EXIT = "Exit codes: 0 all done, 1 some documents failed, 2 usage error, 75 locked."


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # a pipe or a file: room for the tables, no wrapping
        console = Console(stderr=stderr, highlight=False, width=140)
    return console


def _fail(exc: BisumError) -> None:
    click.secho(f"error: {exc}", fg="red", err=True)  # one line, never wrapped
    sys.exit(exc.exit_code)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BisumError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            _console(stderr=True).print("interrupted: finished documents are written")
            sys.exit(130)


def _settings_options(func):
    options = [
        click.option("--model", "-m", help="Model name (env BISUM_MODEL). Default gpt-4.1-mini."),
        click.option("--base-url", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL)."),
        click.option(
            "--script",
            type=click.Choice(["zh-Hans", "zh-Hant"]),
            help="Script of the Chinese summary. Default zh-Hans.",
        ),
        click.option("--concurrency", "-c", type=int, help="Requests in flight. Default 8."),
        click.option("--rpm", type=int, help="Requests per minute allowed by the provider."),
        click.option("--tpm", type=int, help="Tokens per minute allowed by the provider."),
        click.option("--chunk-tokens", type=int, help="Token budget of a chunk. Default 2000."),
        click.option(
            "--outputs",
            "-o",
            type=click.Path(path_type=Path),
            help="Output folder. Default outputs/.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(**flags: Any) -> Settings:
    keys = (
        "model",
        "base_url",
        "script",
        "concurrency",
        "rpm",
        "tpm",
        "chunk_tokens",
        "outputs",
        "max_cost",
    )
    return load_settings({k: flags.get(k) for k in keys})


@click.group(cls=_Group, epilog=EPILOG_EXIT)
@click.version_option(__version__, prog_name="bisum")
def main() -> None:
    """Bilingual (Chinese + English) summaries of Chinese-language news.

    \b
    Quick start, offline, from the recorded responses in cassettes/:
      bisum summarise corpus/ --replay cassettes/corpus.yaml
    With a key:
      OPENAI_API_KEY=sk-... bisum summarise corpus/

    Settings come from flags, then the environment (OPENAI_API_KEY, OPENAI_BASE_URL,
    BISUM_<SETTING>), then bisum.toml or [tool.bisum] in pyproject.toml, then defaults.
    """


def _run(paths, settings: Settings, options, progress: bool) -> None:
    from pipeline import jobs
    from pipeline.report import RunProgress, print_report

    err = _console(stderr=True)

    def bar(total, stats):
        return RunProgress(err, total, stats, progress and err.is_terminal)

    report = jobs.run(list(paths), settings, options, bar)
    print_report(_console(), report)
    sys.exit(1 if report.failed else 0)


def _print_plan(paths, settings: Settings, *, only_changed: bool, as_json: bool) -> None:
    from pipeline import jobs
    from pipeline.report import plan_table

    result = jobs.plan(list(paths), settings, only_changed=only_changed)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    out = _console()
    out.print(plan_table(result))
    out.print(
        f"total: {result.requests} requests, {result.prompt_tokens:,} prompt tokens, "
        f"~{result.output_tokens:,} output tokens; about ${result.cost():.4f} "
        f"(${result.cost(batch=True):.4f} at batch prices)"
    )


_run_options = [
    click.option("--offline", is_flag=True, help="Answer from the cache only; send nothing."),
    click.option(
        "--replay",
        type=click.Path(path_type=Path),
        help="Answer every request from this recorded cassette; send nothing.",
    ),
    click.option(
        "--record",
        type=click.Path(path_type=Path),
        help="Record this run's HTTP exchanges to a cassette (keys are scrubbed).",
    ),
    click.option(
        "--max-cost", type=float, help="Stop before any call if the plan costs more (USD)."
    ),
    click.option(
        "--no-cache",
        is_flag=True,
        help="Send every request even if its answer is cached (answers are still stored).",
    ),
    click.option("--no-progress", is_flag=True, help="No progress bar."),
]


def _with(options):
    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func

    return apply


@main.command(epilog=EPILOG_EXIT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_settings_options
@_with(_run_options)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show chunks, requests, tokens and estimated cost per document; send nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print JSON.")
def summarise(
    paths, offline, replay, record, max_cost, no_cache, no_progress, dry_run, as_json, **flags
):
    """Summarise every .txt, .md and .html document under PATHS into outputs/.

    Writes outputs/<doc_id>.json (validated), outputs/<doc_id>.md (readable) and
    outputs/index.json. Every answer is cached in .bisum/, so a rerun costs nothing.

    \b
    Examples:
      bisum summarise corpus/ --replay cassettes/corpus.yaml   # offline demo
      bisum summarise corpus/ --dry-run                        # what it would cost
      OPENAI_API_KEY=sk-... bisum summarise news/ -m gpt-4.1-mini -c 16
      bisum summarise corpus/ --base-url http://localhost:11434/v1 -m qwen2.5
    """
    from pipeline.jobs import RunOptions

    settings = _settings(**flags, max_cost=max_cost)
    if dry_run:
        _print_plan(paths, settings, only_changed=False, as_json=as_json)
        return
    options = RunOptions(
        "summarise", offline=offline, replay=replay, record=record, read_cache=not no_cache
    )
    _run(paths, settings, options, progress=not no_progress)


@main.command(epilog=EPILOG_EXIT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_settings_options
@_with(_run_options)
@click.option(
    "--plan",
    "plan_only",
    is_flag=True,
    help="Show what would be recomputed and why, with a cost quote; send nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="With --plan: print JSON.")
@click.option("--prune", is_flag=True, help="Remove outputs whose source file is gone.")
def refresh(
    paths,
    offline,
    replay,
    record,
    max_cost,
    no_cache,
    no_progress,
    plan_only,
    as_json,
    prune,
    **flags,
):
    """Recompute only the documents whose fingerprint changed; keep the rest untouched.

    A document is recomputed when its source bytes, the cleaner, the chunker settings, a
    prompt version, the model, the output schema or the script changed, or when it failed
    last time. Unchanged map calls are cache hits, so an edited paragraph costs its own
    chunk plus the reduce.

    \b
    Examples:
      bisum refresh corpus/ --plan                 # why each document would be redone
      bisum refresh corpus/ --max-cost 0.50        # stop first if the plan costs more
      bisum refresh corpus/ --prune                # also drop outputs of deleted sources
    """
    from pipeline.jobs import RunOptions

    settings = _settings(**flags, max_cost=max_cost)
    if plan_only:
        _print_plan(paths, settings, only_changed=True, as_json=as_json)
        return
    options = RunOptions(
        "refresh",
        only_changed=True,
        prune=prune,
        offline=offline,
        replay=replay,
        record=record,
        read_cache=not no_cache,
    )
    _run(paths, settings, options, progress=not no_progress)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a readable report.")
@click.option("--chunk-tokens", type=int, help="Token budget of a chunk. Default 2000.")
@click.option("--model", "-m", help="Model whose tokenizer counts the tokens.")
def inspect(paths, as_json, chunk_tokens, model):
    """Show what the pipeline makes of each document, without calling any model:
    detected encoding, metadata, cleaned text, every removed span with its rule, and the
    chunks with their token counts.

    \b
    Examples:
      bisum inspect corpus/003_9dfb21377327b351.txt
      bisum inspect corpus/ --json | jq '.[].removed | length'
    """
    from pipeline.inspection import inspect_paths, print_inspection

    settings = load_settings({"chunk_tokens": chunk_tokens, "model": model})
    reports = inspect_paths(list(paths), settings)
    if as_json:
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        print_inspection(_console(), reports)
    sys.exit(1 if any(r.get("error") for r in reports) else 0)


@main.command()
def schema():
    """Print the JSON Schema of an output file (outputs/<doc_id>.json).

    \b
    Example:
      bisum schema > output.schema.json
    """
    from pipeline.schemas import output_json_schema

    click.echo(json.dumps(output_json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.option("--last", "-n", default=10, show_default=True, help="How many runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON lines.")
def runs(last, as_json):
    """Show the most recent runs from the run log (.bisum/runs.jsonl): when, what they
    did to each document, requests, cache hits, tokens, cost and failures.

    \b
    Examples:
      bisum runs
      bisum runs -n 50 --json | jq 'select(.failures | length > 0)'
    """
    from pipeline.report import runs_table
    from pipeline.runlog import read_runs

    settings = load_settings({})
    records = read_runs(settings.state_dir, last)
    if as_json:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False, sort_keys=True))
        return
    if not records:
        click.echo(f"no runs recorded in {settings.state_dir / 'runs.jsonl'} yet")
        return
    _console().print(runs_table(records))


@main.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "md", "html", "json"]),
    default="terminal",
    show_default=True,
    help="terminal: colored; md: a pull-request body; html: one offline page; json.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to a file.")
@click.option(
    "--fail-on",
    type=click.Choice(["facts", "any"]),
    help="Exit 1 if a fact changed (a figure or a name), or if anything changed.",
)
def diff(base, head, fmt, output, fail_on):
    """Show what changed between two sets of outputs, and whether any fact changed.

    BASE and HEAD are each an outputs folder or a git revision (read without checking
    it out). By default BASE is the committed outputs/ at HEAD and HEAD is the working
    tree's outputs/, so `bisum refresh && bisum diff` reviews a refresh before a commit.

    Each summary field is classified as unchanged, formatting only, wording changed or
    facts changed; figures are compared by value (5000億美元 = $500 billion), not string.

    \b
    Examples:
      bisum diff                                   # committed outputs vs working tree
      bisum diff HEAD~1 HEAD --format md > review.md
      bisum diff old_outputs/ outputs/ --format html -o review.html
      bisum diff --fail-on facts                   # for CI: exit 1 if a fact changed
    """
    from pipeline.diff import compare
    from pipeline.diffrender import render_html, render_json, render_markdown, render_terminal
    from pipeline.diffsource import resolve

    settings = load_settings({})
    old = resolve(base, settings.outputs, default="HEAD")
    new = resolve(head, settings.outputs, default="WORKTREE")
    result = compare(
        old.outputs,
        new.outputs,
        base_index=old.index,
        head_index=new.index,
        base_name=old.name,
        head_name=new.name,
    )
    if fmt == "terminal" and output is None:
        render_terminal(result, _console())
    else:
        if fmt == "terminal":
            console = Console(record=True, width=120, file=open(os.devnull, "w"))  # noqa: SIM115
            render_terminal(result, console)
            text = console.export_text()
        else:
            text = {"md": render_markdown, "html": render_html, "json": render_json}[fmt](result)
        if output:
            output.write_text(text, "utf-8")
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
    sys.exit(1 if fail_on and result.has(fail_on) else 0)


@main.command()
@click.option("--yaml", "as_yaml", is_flag=True, help="Print entries ready to paste into it.")
def glossary(as_yaml):
    """List the names seen in outputs/ that the glossary (glossary.yaml) does not cover,
    with the documents they come from, for a person to review and add.

    \b
    Examples:
      bisum glossary
      bisum glossary --yaml >> review-names.yaml
    """
    from rich.table import Table

    from pipeline.glossary import load_glossary, unknown_names

    settings = load_settings({})
    known = load_glossary(settings.glossary)
    outputs = [
        json.loads(p.read_text("utf-8"))
        for p in sorted(settings.outputs.glob("*.json"))
        if p.name != "index.json"
    ]
    unknown = unknown_names(known, outputs)
    if not unknown:
        click.echo(f"every name in {len(outputs)} outputs is in {settings.glossary.name}")
        return
    if as_yaml:
        for (zh, en, kind), _docs in unknown.items():
            click.echo(
                f"  - {{en: {json.dumps(en, ensure_ascii=False)}, zh: "
                f"[{json.dumps(zh, ensure_ascii=False)}], kind: {kind}}}"
            )
        return
    table = Table(title=f"names not in {settings.glossary.name} ({len(unknown)})")
    for column in ("zh", "en", "kind", "documents"):
        table.add_column(column)
    for (zh, en, kind), docs in unknown.items():
        table.add_row(zh, en, kind, ", ".join(docs))
    _console().print(table)
