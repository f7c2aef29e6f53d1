"""What a person sees during and after a run: a progress bar, then a summary table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.llm import CallStats
from pipeline.plan import Plan
from pipeline.pricing import cost
from pipeline.runner import Outcome, RunReport

OUTCOME_ORDER = ("ok", "needs_review", "unchanged", "failed", "deleted", "pruned")


class RunProgress(AbstractContextManager):
    """Documents done, requests sent, cache hits and tokens, refreshed as documents finish."""

    def __init__(self, console: Console, total: int, stats: CallStats, enabled: bool) -> None:
        self.stats = stats
        self.counts: Counter[str] = Counter()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.task = self.progress.add_task("documents", total=total, detail="")
        self.enabled = enabled

    def __enter__(self) -> Callable[[Outcome | None], None]:
        self.progress.start()
        return self.update

    def __exit__(self, *exc) -> None:
        self.update(None)
        self.progress.stop()

    def update(self, outcome: Outcome | None) -> None:
        if outcome is not None and outcome.status not in ("deleted", "pruned"):
            self.counts[outcome.status] += 1
            if not self.enabled:
                return  # nobody watches (not a terminal): keep a 10,000-document run fast
            self.progress.advance(self.task)
        s = self.stats
        failed = f" failed {self.counts['failed']}" if self.counts["failed"] else ""
        self.progress.update(
            self.task,
            detail=f"requests {s.requests} · cache hits {s.cache_hits} · "
            f"tokens {s.tokens_in:,} in / {s.tokens_out:,} out{failed}",
        )


def summary_table(report: RunReport) -> Table:
    s = report.stats
    table = Table(
        title=f"bisum {report.command}: {len(report.outcomes)} documents", show_header=False
    )
    table.add_column(style="bold")
    table.add_column()
    counts = Counter(o.status for o in report.outcomes)
    table.add_row(
        "documents",
        ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in OUTCOME_ORDER if counts[k]) or "0",
    )
    table.add_row(
        "requests", f"{s.requests} sent ({s.retries} retries, {s.rate_limited} rate limited)"
    )
    table.add_row("cache hits", str(s.cache_hits))
    if s.reasks:
        table.add_row("re-asks", str(s.reasks))
    table.add_row("tokens", f"{s.tokens_in:,} in / {s.tokens_out:,} out")
    table.add_row("estimated cost", f"${report.cost_usd:.4f}")
    table.add_row("time", f"{report.finished - report.started:.1f} s")
    for fallback in s.mode_fallbacks:
        table.add_row("structured output", fallback)
    for ref in report.released:
        table.add_row("prompt released", ref)
    if report.swept:
        table.add_row("temp files swept", str(len(report.swept)))
    return table


def print_report(console: Console, report: RunReport) -> None:
    console.print(summary_table(report))
    review = [o for o in report.outcomes if o.status == "needs_review"]
    if review:
        console.print("[yellow]Needs review (written, with the failed checks listed):[/]")
        for o in review:
            console.print(f"  {o.doc_id}: " + "; ".join(o.checks))
    if report.failed:
        console.print("[red]Failed:[/]")
        for o in report.failed:
            console.print(f"  {o.doc_id} ({o.source}): {o.error}")


def plan_table(plan: Plan) -> Table:
    table = Table(title=f"plan for {plan.model} (no request sent)")
    table.add_column("document", no_wrap=True)
    table.add_column("why")
    for column in ("chunks", "requests", "prompt tokens", "output (est.)", "cost"):
        table.add_column(column, justify="right")
    for d in plan.documents:
        table.add_row(
            d.doc_id,
            d.describe(),
            str(d.chunks or ""),
            str(d.requests),
            f"{d.prompt_tokens:,}",
            f"{d.output_tokens:,}",
            f"${cost(plan.model, d.prompt_tokens, d.output_tokens):.4f}",
        )
    return table


def runs_table(records: list[dict]) -> Table:
    table = Table(title="recent runs (newest last)")
    for column in (
        "started",
        "command",
        "seconds",
        "documents",
        "requests",
        "cache hits",
        "tokens in/out",
        "cost",
        "failures",
    ):
        table.add_column(
            column,
            justify="right" if column in ("seconds", "requests", "cache hits", "cost") else "left",
        )
    for r in records:
        documents = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r["documents"].items())
        failures = "; ".join(f"{f['doc_id']}: {f['error']}" for f in r["failures"])
        table.add_row(
            r["started"],
            r["command"],
            f"{r['seconds']:.1f}",
            documents or "0",
            str(r["requests"]),
            str(r["cache_hits"]),
            f"{r['tokens_in']:,}/{r['tokens_out']:,}",
            f"${r['cost_usd']:.4f}",
            failures or "-",
        )
    return table
