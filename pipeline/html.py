"""HTML input reduced to its article text (selectolax, the lexbor parser)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from pipeline.frontmatter import Metadata

# Elements that never hold article text.
_DROP = "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button"
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption")


def _meta(tree: LexborHTMLParser, *selectors: str) -> str:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is None:
            continue
        value = node.attributes.get("content") or node.attributes.get("href") or node.text()
        if value and value.strip():
            return value.strip()
    return ""


def _score(node) -> int:
    # The article container is the element whose paragraphs hold the most text.
    return sum(len(p.text(strip=True)) for p in node.css("p"))


def to_text(html: str) -> tuple[str, Metadata]:
    tree = LexborHTMLParser(html)
    metadata = Metadata(
        title=_meta(tree, 'meta[property="og:title"]', "title", "h1"),
        date=_meta(
            tree, 'meta[property="article:published_time"]', 'meta[name="date"]', "time[datetime]"
        ),
        source_url=_meta(tree, 'link[rel="canonical"]', 'meta[property="og:url"]'),
        description=_meta(tree, 'meta[name="description"]', 'meta[property="og:description"]'),
    )
    for node in tree.css(_DROP):
        node.decompose()
    body = tree.body or tree.root
    candidates = tree.css("article, main, [itemprop=articleBody]") or [body]
    root = max(candidates, key=_score) if candidates else body
    if root is None:
        return "", metadata
    lines = [
        node.text(separator="", strip=True)
        for node in root.css(", ".join(_BLOCKS))
        if not any(parent.tag in _BLOCKS for parent in _ancestors(node))
    ]
    lines = [line for line in lines if line]
    if not lines:  # no block structure: fall back to the text of the container
        lines = [line.strip() for line in root.text(separator="\n").splitlines() if line.strip()]
    return "\n\n".join(lines) + "\n", metadata


def _ancestors(node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent
