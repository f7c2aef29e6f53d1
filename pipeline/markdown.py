"""The readable page of one output: Chinese and English side by side in one Markdown file."""

from __future__ import annotations

from pipeline.schemas import OutputDocument

_STATUS = {"ok": "ok", "needs_review": "NEEDS REVIEW"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(output: OutputDocument) -> str:
    s, src, prov = output.summary, output.source, output.provenance
    lines = [f"# {s.zh.headline}", "", f"**{s.en.headline}**", ""]
    meta = [f"`{output.doc_id}`", f"status: **{_STATUS[output.status]}**"]
    if src.title:
        meta.append(f"source title: {src.title}")
    if src.date:
        meta.append(f"date: {src.date}")
    if src.source_url:
        meta.append(f"<{src.source_url}>")
    lines += [" · ".join(meta), ""]
    if output.checks:
        lines += ["> [!WARNING]", "> Checks that failed; verify against the source:"]
        lines += [f"> - **{c.check}**: {c.message}" for c in output.checks]
        lines.append("")
    lines += ["## 摘要", "", s.zh.summary, "", "### 要点", ""]
    lines += [f"{i}. {p}" for i, p in enumerate(s.zh.key_points, 1)]
    lines += ["", "## Summary", "", s.en.summary, "", "### Key points", ""]
    lines += [f"{i}. {p}" for i, p in enumerate(s.en.key_points, 1)]
    if s.figures:
        lines += ["", "## Figures", "", "| 中文 | English | source |", "| --- | --- | --- |"]
        lines += [f"| {_cell(f.zh)} | {_cell(f.en)} | {_cell(f.source)} |" for f in s.figures]
    if s.entities:
        lines += ["", "## Names", "", "| 中文 | English | kind |", "| --- | --- | --- |"]
        lines += [f"| {_cell(e.zh)} | {_cell(e.en)} | {e.kind} |" for e in s.entities]
    prompts = ", ".join(f"{ref.split('#')[0]}" for ref in prov.prompts.values())
    lines += [
        "",
        "---",
        "",
        f"<sub>Source `{src.path}` ({src.encoding}, sha256 {src.sha256[:12]}) · "
        f"model {prov.model} (requested {prov.requested_model}) · prompts {prompts} · "
        f"{prov.chunks} chunks, {prov.calls} calls, {prov.tokens_in:,} tokens in, "
        f"{prov.tokens_out:,} out, about ${prov.cost_usd:.4f}</sub>",
        "",
    ]
    return "\n".join(lines)
