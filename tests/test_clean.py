"""The cleaner on the sample corpus: every kind of noise goes, every body paragraph stays.

The test is two-sided. Each line the cleaner drops must match the noise listed here for
that article (so nothing else is lost), and each line it keeps must appear, normalised,
in the cleaned text (so every paragraph of the body survives)."""

import re
from pathlib import Path

import pytest

from pipeline.clean import clean

CORPUS = Path(__file__).parents[1] / "corpus"
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
LINE_RULES = {
    "spam",
    "breadcrumb",
    "widget",
    "byline",
    "promo",
    "disclaimer",
    "trailer",
    "navigation-tail",
    "source-link",
    "front-matter",
}

# Per article: what may be dropped as a whole line (substrings), and what must be gone.
EXPECTED_NOISE = {
    "000_fdd9e036d747b5c2": [],
    "001_ce46cb70e5db9093": ["特別聲明", "Notice: The content above"],
    "002_69c8bfa5e70653f0": [
        "機器之心報道",
        "機器之心編輯部",
        "特別聲明",
        "Notice: The content above",
    ],
    "003_9dfb21377327b351": [
        "国产av一二三区",
        "網易首頁 > 網易號",
        "分享至",
        "0",
        "編譯 | Tina",
        "聲明:本文為 InfoQ",
        "技術人的年度儀式感",
        "年度盤點與趨勢洞察",
        "力求以體系化視角",
        "特別聲明",
        "Notice: The content above",
    ],
    "004_2631b9187ab6e046": ["关注 AI 第一新媒体", "[qq](https://new.qq.com"],
}
# Text that must not survive anywhere in the cleaned article.
ABSENT = [
    r"\((?:[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*)\)",  # pinyin ruby
    r"\{\{[<%]",
    r"!\[",
    r"<img",
    r"/p>",
    r"^title:",
    r"^date:",
    r"^tags:",
    r"^---$",
    r"av一二三区",
    r"无码",
    r"不卡",
    r"特別聲明",
    r"Notice: The content",
    r"網易首頁",
    r"分享至",
    r"相關推薦",
    r"熱點推薦",
    r"西班牙國家鐵路",
    r"貝克漢姆",
    r"康有為",
    r"劉翔",
    r"利物浦",
    r"往期回顧",
    r"頭條要聞",
    r"無障礙瀏覽",
    r"incentive-icons",
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    r"关注 AI 第一新媒体",
    r"\*\*",
    r"^#+ ",
]
# Paragraphs of each article's body that must be kept, start and end (spot checks on top
# of the line-by-line accounting below).
KEPT = {
    "000_fdd9e036d747b5c2": [
        "在高盛科技峰會上，OpenAI財務長Sarah Friar",
        "Stargate計劃正是為了確保OpenAI",
    ],
    "001_ce46cb70e5db9093": [
        "編者:OpenAI的CFO Sarah Friar",
        "那應由市場——而非政府——來應對。",
        "https://x.com/sama/status/1986514377470845007",
    ],
    "002_69c8bfa5e70653f0": [
        "近期 OpenAI 完成了資本重組",
        "然后我們可以將它部署在 GitHub、M365 或 Copilot 中。",
    ],
    "003_9dfb21377327b351": [
        "“GPT-6”或三個月內亮相?奧特曼親口承認",
        "坐擁近 9 億用戶",
        "Sam Altman:我們會盡力讓它們繼續快速變好。",
        "https://www.youtube.com/watch?v=2P27Ef-LLuQ",
    ],
    "004_2631b9187ab6e046": ["OpenAI CEO Sam Altman 最近很忙", "全球的创造力将迎来爆发式增长"],
}


def _articles():
    return sorted(CORPUS.glob("*.txt"))


@pytest.fixture(params=_articles(), ids=lambda p: p.stem)
def article(request):
    raw = request.param.read_text("utf-8")
    return request.param.stem, raw, clean(raw)


def _normalise(line: str) -> str:
    """A kept line as the cleaner's inline rules leave it."""
    line = re.sub(f"\\((?=[^()]*[{TONED}])[a-zü{TONED}]+\\)", "", line)
    line = re.sub(r"\?!\?/p>", "。”", line)
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)|\{\{[<%].*?[%>]\}\}|\*\*|^#+\s*|[\ue000-\uf8ff]", "", line)
    line = re.sub(r"\[([^\]]+)\]\((?:https?://|/)[^)\s]*\)", r"\1", line)
    return line.replace("\u3000", " ").replace("\xa0", " ").strip()


def test_no_noise_survives(article):
    doc_id, _, cleaned = article
    for pattern in ABSENT:
        found = re.search(pattern, cleaned.text, re.M)
        assert found is None, f"{doc_id}: {pattern!r} survived: {found and found.group(0)}"


def test_only_listed_noise_lines_are_dropped(article):
    doc_id, raw, cleaned = article
    tail_start = min(
        (r.line for r in cleaned.removed if r.rule == "navigation-tail"), default=10**9
    )
    for removal in cleaned.removed:
        if removal.rule not in LINE_RULES or removal.rule == "front-matter":
            continue
        if removal.line >= tail_start:
            assert removal.rule in ("navigation-tail", "trailer", "disclaimer")
            continue
        assert any(noise in removal.text for noise in EXPECTED_NOISE[doc_id]) or (
            removal.text == "0" and doc_id.startswith("003")
        ), f"{doc_id}: line {removal.line} dropped as {removal.rule}: {removal.text[:60]}"


def test_every_other_line_is_kept(article):
    doc_id, raw, cleaned = article
    dropped = {r.line for r in cleaned.removed if r.rule in LINE_RULES}
    front = next((r for r in cleaned.removed if r.rule == "front-matter"), None)
    skip_until = front.text.count("\n") + 1 if front else 0
    tail = min(
        (r.line for r in cleaned.removed if r.rule in ("navigation-tail", "trailer")), default=10**9
    )
    for number, line in enumerate(raw.split("\n"), start=1):
        if number <= skip_until or number in dropped or number >= tail:
            continue
        kept = _normalise(line)
        if kept:
            assert kept in cleaned.text, f"{doc_id}: line {number} lost: {kept[:60]}"


def test_body_paragraphs_are_kept(article):
    doc_id, _, cleaned = article
    for start in KEPT[doc_id]:
        assert start in cleaned.text, f"{doc_id}: body paragraph missing: {start}"


def test_navigation_tail_of_003_goes_from_its_marker_to_the_end():
    raw = (CORPUS / "003_9dfb21377327b351.txt").read_text("utf-8")
    cleaned = clean(raw)
    rules = {r.text: r.rule for r in cleaned.removed}
    assert rules["相關推薦"] == "navigation-tail"
    assert cleaned.paragraphs[-1] == "https://www.youtube.com/watch?v=2P27Ef-LLuQ"
    last_line = len(raw.rstrip("\n").split("\n"))
    assert max(r.line for r in cleaned.removed) == last_line


def test_report_says_what_and_why():
    raw = "---\ntitle: T\n---\n網(wǎng)易說{{< youtube x >}}今天![](a.png)很好。\n"
    cleaned = clean(raw)
    assert cleaned.text == "網易說今天很好。\n"
    assert [(r.rule, r.text) for r in cleaned.removed] == [
        ("front-matter", "---\ntitle: T\n---"),
        ("shortcode", "{{< youtube x >}}"),
        ("image", "![](a.png)"),
        ("ruby", "(wǎng)"),
    ]


def test_english_glosses_in_parentheses_are_not_ruby():
    text = "智能體(agents)和推理(inference)以及咖啡(café)都保留。\n"
    assert clean(text).text == text


def test_cleaning_is_pure_and_stable(article):
    _, raw, cleaned = article
    assert clean(raw) == cleaned
    assert clean(cleaned.text).text == cleaned.text
