"""``bisum diff`` reports: terminal, Markdown (a pull-request body), HTML (one offline
file, side by side) and JSON. Every format lists documents added, removed, newly failed
or newly flagged first, then fact changes, then the rest, with the provenance changes
(model, prompt versions) rolled up at the top."""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.diff import CLASSES, Diff, DocChange, FieldChange, segments

ORDER = ("added", "removed", *reversed(CLASSES))


def _language(field: str) -> str:
    return "zh" if field.startswith("zh") or field == "entities" else "en"


def _pairs(change: FieldChange) -> Iterator[tuple[str, str]]:
    """(old, new) text pairs of a field's changes: one per changed key point or list item
    (an item only removed or only added pairs with ""), one for a plain field."""
    if change.field in ("figures", "entities"):
        keys = ("zh", "en", "source") if change.field == "figures" else ("zh", "en", "kind")
        old = [" / ".join(str(item.get(k, "")) for k in keys) for item in change.old]
        new = [" / ".join(str(item.get(k, "")) for k in keys) for item in change.new]
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            removed, added = old[i1:i2], new[j1:j2]
            for k in range(max(len(removed), len(added))):
                yield (removed[k] if k < len(removed) else "", added[k] if k < len(added) else "")
        return
    old = change.old if isinstance(change.old, list) else [change.old]
    new = change.new if isinstance(change.new, list) else [change.new]
    for i in range(max(len(old), len(new))):
        a, b = (old[i] if i < len(old) else ""), (new[i] if i < len(new) else "")
        if a != b:
            yield a, b


def _headline(diff: Diff) -> str:
    counts = diff.counts()
    parts = [f"{counts[k]} {k}" for k in ORDER if counts.get(k)]
    return f"{len(diff.documents)} documents: " + (", ".join(parts) or "nothing")


def _doc_line(doc: DocChange) -> str:
    bits = ["summary unchanged" if doc.kind == "unchanged" else doc.kind]
    if doc.flag:
        bits.append(
            doc.flag + (f" ({doc.old_status} -> {doc.new_status})" if doc.old_status else "")
        )
    return ", ".join(bits)


# ---- terminal ----


def _styled(old: str, new: str, language: str) -> Text:
    text = Text()
    for op, part in segments(old, new, language):
        style = {"=": "", "-": "red strike", "+": "bold green"}[op]
        text.append(part, style=style)
    return text


def render_terminal(diff: Diff, console: Console) -> None:
    if not diff.changed:
        console.print(
            f"No changes between {diff.base} and {diff.head} "
            f"({len(diff.documents)} documents compared)."
        )
        return
    table = Table(title=f"bisum diff {diff.base} -> {diff.head}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("documents", _headline(diff))
    for change, count in sorted(diff.provenance_rollup().items()):
        table.add_row("provenance", f"{change} ({count} documents)")
    for doc in diff.ordered():
        if doc.first:
            table.add_row("attention", f"{doc.doc_id}: {_doc_line(doc)}")
    console.print(table)
    for doc in diff.ordered():
        console.rule(f"[bold]{doc.doc_id}[/]  {_doc_line(doc)}")
        for line in doc.provenance:
            console.print(f"[dim]{line}[/]")
        for change in doc.fields:
            if change.kind == "unchanged":
                continue
            console.print(f"[bold]{change.field}[/]: {change.kind}")
            for fact in change.facts:
                console.print(f"  [yellow]! {fact}[/]")
            if change.kind != "formatting only":
                for old, new in _pairs(change):
                    console.print(Text.assemble("  ", _styled(old, new, _language(change.field))))


# ---- markdown ----


def _md_inline(old: str, new: str, language: str) -> str:
    out = []
    for op, part in segments(old, new, language):
        part = part.replace("\n", " ")
        if not part.strip():
            out.append(part)
        elif op == "=":
            out.append(part.replace("*", "\\*").replace("~", "\\~"))
        elif op == "-":
            out.append(f"~~{part.strip()}~~" + (" " if part.endswith(" ") else ""))
        else:
            out.append(f"**{part.strip()}**" + (" " if part.endswith(" ") else ""))
    return "".join(out)


def render_markdown(diff: Diff) -> str:
    lines = [f"## bisum review: {diff.base} → {diff.head}", "", f"**{_headline(diff)}**", ""]
    if not diff.changed:
        return "\n".join([*lines, "No changes.", ""])
    rollup = diff.provenance_rollup()
    if rollup:
        lines += ["| provenance change | documents |", "| --- | --- |"]
        lines += [f"| {change} | {count} |" for change, count in sorted(rollup.items())]
        lines.append("")
    attention = [d for d in diff.ordered() if d.first or d.kind == "facts changed"]
    if attention:
        lines += ["### Needs attention", ""]
        for doc in attention:
            facts = [f for c in doc.fields for f in c.facts]
            detail = f": {'; '.join(facts[:4])}" if facts else ""
            lines.append(f"- `{doc.doc_id}` {_doc_line(doc)}{detail}")
        lines.append("")
    lines += ["### Documents", ""]
    for doc in diff.ordered():
        lines += [
            "<details>",
            f"<summary><code>{doc.doc_id}</code> — {_doc_line(doc)}</summary>",
            "",
        ]
        lines += [f"- {p}" for p in doc.provenance]
        for change in doc.fields:
            if change.kind == "unchanged":
                continue
            lines += ["", f"**{change.field}** — {change.kind}"]
            lines += [f"- ⚠️ {fact}" for fact in change.facts]
            if change.kind != "formatting only":
                for old, new in _pairs(change):
                    lines += ["", "> " + _md_inline(old, new, _language(change.field))]
        lines += ["", "</details>", ""]
    lines.append("<sub>~~struck~~ text was removed, **bold** text was added.</sub>")
    return "\n".join(lines) + "\n"


# ---- html ----

_CSS = """
body{font:15px/1.6 -apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;
margin:2rem auto;max-width:1200px;color:#1f2328;padding:0 1rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0} td,th{border:1px solid #d0d7de;
padding:.35rem .6rem;vertical-align:top;text-align:left} th{background:#f6f8fa}
del{background:#ffebe9;color:#82071e} ins{background:#dafbe1;color:#116329;text-decoration:none}
.kind{font-weight:600} .facts{color:#9a6700} .badge{display:inline-block;padding:0 .5rem;
border-radius:1rem;background:#eaeef2;font-size:.85rem} .facts-changed{background:#ffebe9}
.wording-changed{background:#fff8c5} .formatting-only{background:#ddf4ff}
td.field{width:16%;font-family:ui-monospace,monospace;font-size:.85rem}
td.side{width:42%}
"""


def _html_side(old: str, new: str, language: str, side: str) -> str:
    out = []
    for op, part in segments(old, new, language):
        escaped = html.escape(part).replace("\n", "<br>")
        if op == "=":
            out.append(escaped)
        elif op == "-" and side == "old":
            out.append(f"<del>{escaped}</del>")
        elif op == "+" and side == "new":
            out.append(f"<ins>{escaped}</ins>")
    return "".join(out)


def render_html(diff: Diff) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">',
        f"<title>bisum diff {e(diff.base)} → {e(diff.head)}</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>bisum review: {e(diff.base)} → {e(diff.head)}</h1>",
        f"<p><strong>{e(_headline(diff))}</strong></p>",
    ]
    rollup = diff.provenance_rollup()
    if rollup:
        parts.append("<table><tr><th>provenance change</th><th>documents</th></tr>")
        parts += [f"<tr><td>{e(c)}</td><td>{n}</td></tr>" for c, n in sorted(rollup.items())]
        parts.append("</table>")
    if not diff.changed:
        parts.append("<p>No changes.</p>")
    for doc in diff.ordered():
        badge = doc.kind.replace(" ", "-")
        parts.append(
            f'<h2 id="{e(doc.doc_id)}">{e(doc.doc_id)} '
            f'<span class="badge {badge}">{e(_doc_line(doc))}</span></h2>'
        )
        if doc.provenance:
            parts.append("<p>" + "<br>".join(e(p) for p in doc.provenance) + "</p>")
        rows = [c for c in doc.fields if c.kind != "unchanged"]
        if not rows:
            continue
        parts.append("<table><tr><th>field</th><th>before</th><th>after</th></tr>")
        for change in rows:
            language = _language(change.field)
            facts = "".join(f'<div class="facts">⚠ {e(f)}</div>' for f in change.facts)
            cell = f'<td class="side" lang="{language}">'
            for old, new in _pairs(change):
                parts.append(
                    f'<tr><td class="field">{e(change.field)}<div class="kind">'
                    f"{e(change.kind)}</div>{facts}</td>"
                    f"{cell}{_html_side(old, new, language, 'old')}</td>"
                    f"{cell}{_html_side(old, new, language, 'new')}</td></tr>"
                )
                facts = ""
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render_json(diff: Diff) -> str:
    return json.dumps(diff.as_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
