"""Cleaning rules for Chinese web articles: pure, versioned, and explained.

``clean(text)`` returns the article text and a report of every span it removed and the
rule that removed it, so that a reader can audit the cleaner (``bisum inspect``). Change a
rule and ``CLEANER_VERSION`` must change with it: the version is part of every output's
fingerprint, so a refresh recomputes what the new rules would clean differently.

Rules, in the order they apply:
- front-matter      YAML/TOML block at the top (its fields are kept as metadata)
- shortcode         Hugo shortcodes: ``{{< youtube ... >}}``, ``{{% ... %}}``
- image             markdown images (``![](...)``, also empty ones) and ``<img>`` tags
- ruby              pinyin after Han characters: ``網(wǎng)易`` -> ``網易``
- html-residue      stray tags and their mojibake (``?!?/p>``), entities like ``&nbsp;``
- markup            markdown emphasis, heading marks, link syntax (the text stays)
- spam              SEO keyword-stuffing lines (``国产av一二三区|日本不卡...``)
- breadcrumb        portal paths (``網易首頁 > 網易號 > 正文``)
- widget            share/like widgets and their counters (``分享至``, ``0``)
- byline            newsroom bylines (``機器之心報道``, ``編譯 | Tina``)
- promo             follow-us lines (``关注 AI 第一新媒体，率先获取...``)
- disclaimer        platform and reprint notices (``特別聲明 ...``, ``Notice: The content above``)
- trailer           whatever follows the closing disclaimers (promotions, footers)
- navigation-tail   unrelated headlines after ``相關推薦`` or a run of timestamped headlines
- source-link       a lone link to the source on the last line (kept as metadata)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline import frontmatter

CLEANER_VERSION = "1"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_VOWELS = f"aeiouü{_TONED}"
_SYLLABLE = rf"(?:[zcs]h|[bpmfdtnlgkhjqxrzcsyw])?[{_VOWELS}]{{1,3}}(?:ng|n|r)?"


@dataclass(frozen=True)
class Removal:
    rule: str
    line: int  # 1-based line of the input where the removed text was
    text: str


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: tuple[Removal, ...]
    version: str = CLEANER_VERSION

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.strip().split("\n\n") if p]


# ---- inline rules: (rule, pattern, replacement) applied to every line, in order ----

_INLINE: list[tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    ("shortcode", re.compile(r"\{\{[<%].*?[%>]\}\}"), ""),
    ("image", re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    ("image", re.compile(r"<img\b[^>]*>", re.I), ""),
    # pinyin ruby: one toned syllable in parentheses right after a character (usually Han;
    # in mangled pages the character before it can be mojibake)
    ("ruby", re.compile(rf"(?<=\S)\((?=[a-zü{_TONED}]*[{_TONED}]){_SYLLABLE}\)"), ""),
    # `。”</p>` mangled in transit into `?!?/p>`; restore the closing punctuation
    ("html-residue", re.compile(r"\?!\?/p>"), "。”"),
    ("html-residue", re.compile(r"\??</?(?:p|br|div|span|strong|em|b|i)\s*/?>|\?/p>", re.I), ""),
    ("html-residue", re.compile(r"&(?:nbsp|ensp|emsp|thinsp|zwj|zwnj);"), " "),
    # private-use code points only ever appear in these pages as mojibake
    ("html-residue", re.compile("[\ue000-\uf8ff]"), ""),
    ("markup", re.compile(r"^#{1,6}(?:\s+|$)"), ""),
    ("markup", re.compile(r"\*\*|__"), ""),
    ("markup", re.compile(r"\[([^\]\n]+)\]\((?:https?://|/)[^)\s]*\)"), lambda m: m.group(1)),
]

# ---- line rules: a predicate over the stripped line ----

_SPAM_WORDS = re.compile(
    r"av|成人|[无無]码|[无無]碼|不卡|[黄黃]色|一[级級]片|三[级級]片|人妻|[国國]产|[国國]產|自拍|偷拍|色情"
    r"|[约約]炮|裸聊|porn|xxx|[赌賭]场|[赌賭]場|博彩|[娱娛]乐城|[娱娛]樂城|六合彩|棋牌|彩票",
    re.I,
)
_BREADCRUMB = re.compile(r"^[^>»›]{1,20}(?:\s*[>»›]\s*[^>»›]{1,20}){2,}$")
_WIDGETS = {
    "分享至",
    "分享到",
    "分享",
    "收藏",
    "举报",
    "舉報",
    "评论",
    "評論",
    "点赞",
    "點讚",
    "點贊",
    "转发",
    "轉發",
    "打开APP",
    "打開APP",
    "阅读原文",
    "閱讀原文",
    "微信扫一扫",
    "微信掃一掃",
    "返回搜狐，查看更多",
    "责任编辑",
    "責任編輯",
    "申请入驻",
    "申請入駐",
}
_BYLINE = re.compile(
    r"^(?:.{1,12}(?:[报報]道|[编編][辑輯]部)|(?:[编編][译譯]|作者|[记記]者|[编編][辑輯]|[责責][编編]"
    r"|来源|來源|撰文|文)\s*[|｜:：丨/]\s*.{1,20})$"
)
_PROMO = re.compile(
    r"^(?:[关關]注|[欢歡]迎[关關]注|[点點][击擊]|[扫掃][码碼]|长按|長按).{0,40}"
    r"(?:公[众眾][号號]|新媒[体體]|[获獲]取|[订訂][阅閱]|[资資][讯訊]|二维码|二維碼)"
)
_DISCLAIMER = re.compile(
    r"^(?:特[别別])?(?:免[责責])?[声聲]明\s*[:：]|^Notice:\s*The content above"
    r"|本平[台臺][仅僅]提供信息存[储儲]服[务務]|未[经經](?:许可|許可|授[权權])[，,]?\s*禁止[转轉]载"
    r"|未[经經](?:许可|許可|授[权權])[，,]?\s*禁止[转轉]載|版[权權][归歸].{0,20}所有",
    re.I,
)
_NAV_MARKER = re.compile(
    r"^(?:相[关關]推[荐薦]|[热熱]点推[荐薦]|[热熱]點推[荐薦]|猜你喜[欢歡]|推[荐薦][阅閱][读讀]"
    r"|相[关關][阅閱][读讀]|延伸[阅閱][读讀]|往期回[顾顧].*|更多精彩.*|[热熱]门文章|[热熱]門文章)$"
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\s+\d{2}:\d{2}(?::\d{2})?)?$")
_LONE_LINK = re.compile(r"^\[([^\]]*)\]\((https?://[^)\s]+)\)$|^(https?://\S+)$")


def _is_spam(line: str) -> bool:
    parts = re.split(r"[|｜]", line)
    return len(parts) >= 4 and len(_SPAM_WORDS.findall(line)) >= 3


def _is_breadcrumb(line: str) -> bool:
    return (
        bool(_BREADCRUMB.match(line))
        or ("首頁" in line or "首页" in line)
        and (">" in line or "›" in line or "»" in line)
    )


def _line_rule(line: str) -> str | None:
    if _is_spam(line):
        return "spam"
    if _is_breadcrumb(line):
        return "breadcrumb"
    if line in _WIDGETS:
        return "widget"
    if len(line) <= 40 and _BYLINE.match(line):
        return "byline"
    if len(line) <= 60 and _PROMO.match(line):
        return "promo"
    if _DISCLAIMER.search(line):
        return "disclaimer"
    return None


def _tail_start(lines: list[tuple[int, str]]) -> tuple[int, str] | None:
    """Index where the page's navigation tail or post-disclaimer trailer begins."""
    n = len(lines)
    floor = n // 2  # tails live in the second half of a page
    for i in range(floor, n):
        if _NAV_MARKER.match(lines[i][1]):
            return i, "navigation-tail"
    stamps = [i for i in range(floor, n) if _TIMESTAMP.match(lines[i][1])]
    if len(stamps) >= 3:
        # headline blocks: title lines then source then a timestamp; back up to the title
        start = stamps[0]
        while (
            start > floor
            and not _TIMESTAMP.match(lines[start - 1][1])
            and (
                len(lines[start - 1][1]) <= 60
                and not lines[start - 1][1].endswith(("。", "！", "？"))
            )
            and stamps[0] - start < 4
        ):
            start -= 1
        return start, "navigation-tail"
    return None


def clean(text: str) -> Cleaned:
    removed: list[Removal] = []
    block, body, offset = frontmatter.split(text)
    if block:
        removed.append(Removal("front-matter", 1, block.strip()))

    kept: list[tuple[int, str]] = []
    for number, raw in enumerate(body.split("\n"), start=offset + 1):
        line = raw
        if _LONE_LINK.match(raw.strip()) and raw.strip().startswith("["):
            kept.append((number, raw.strip()))  # judged below: source link or body text
            continue
        for rule, pattern, replacement in _INLINE:

            def record(
                match: re.Match[str], rule=rule, replacement=replacement, number=number
            ) -> str:
                removed.append(Removal(rule, number, match.group(0)))
                return replacement(match) if callable(replacement) else replacement

            line = pattern.sub(record, line)
        line = line.replace("\u3000", " ").replace("\xa0", " ").strip()
        if not line:
            continue
        rule = _line_rule(line)
        if rule:
            removed.append(Removal(rule, number, line))
            continue
        kept.append((number, line))

    # bare counters next to a widget ("0" above "分享至") belong to the widget
    widget_lines = {r.line for r in removed if r.rule == "widget"}
    survivors = []
    for number, line in kept:
        if line.isdigit() and any(abs(number - w) <= 2 for w in widget_lines):
            removed.append(Removal("widget", number, line))
        else:
            survivors.append((number, line))
    kept = survivors

    # a closing disclaimer ends the article: what follows is page furniture
    disclaimers = [r.line for r in removed if r.rule == "disclaimer"]
    tail = _tail_start(kept)
    last_body_line = kept[-1][0] if kept else 0
    first_line = kept[0][0] if kept else 0
    closing = [d for d in disclaimers if d > first_line + (last_body_line - first_line) * 0.6]
    if closing:
        cut = next((i for i, (number, _) in enumerate(kept) if number > closing[0]), len(kept))
        if tail is None or cut < tail[0]:
            tail = (cut, "trailer")
    if tail is not None:
        index, rule = tail
        for number, line in kept[index:]:
            removed.append(
                Removal("navigation-tail" if _NAV_MARKER.match(line) else rule, number, line)
            )
        kept = kept[:index]

    if kept and kept[-1][1].startswith("[") and _LONE_LINK.match(kept[-1][1]):
        removed.append(Removal("source-link", kept[-1][0], kept[-1][1]))
        kept = kept[:-1]
    kept = [
        (number, _LONE_LINK.sub(lambda m: m.group(1), line) if line.startswith("[") else line)
        for number, line in kept
    ]

    removed.sort(key=lambda r: r.line)
    return Cleaned("\n\n".join(line for _, line in kept) + "\n" if kept else "", tuple(removed))


def source_link(cleaned: Cleaned) -> str:
    """The URL of a trailing source link the cleaner took off, if any."""
    for removal in cleaned.removed:
        if removal.rule == "source-link":
            match = _LONE_LINK.match(removal.text)
            if match:
                return match.group(2) or match.group(3) or ""
    return ""
