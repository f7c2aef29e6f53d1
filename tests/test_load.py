import os
from pathlib import Path

import pytest

from pipeline.errors import LoadError
from pipeline.load import decode, discover, load

ARTICLE = (
    "---\ntitle: 測試標題\ndate: 2025-04-30T12:20:58+08:00\nsource_url: https://example.com/a\n---\n"
    "臺灣的新聞報導說，這家公司今年的營收成長了百分之四十，市場反應熱烈。"
    "分析師認為，這個趨勢在明年仍會延續，投資人應該持續關注相關發展。\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("codec", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("utf-16", "utf-16"), ("big5", "big5hkscs")],
)
def test_traditional_chinese_decodes_in_its_encoding(tmp_path, codec, expected):
    doc = load(write(tmp_path, "a.md", ARTICLE.encode(codec)))
    assert doc.encoding == expected
    assert "百分之四十" in doc.text
    assert doc.metadata.title == "測試標題"
    assert doc.metadata.source_url == "https://example.com/a"


def test_gbk_simplified_is_detected_not_guessed(tmp_path):
    text = "简体中文的新闻报道：这家公司今年的营业收入增长了百分之四十，分析师认为趋势将延续。" * 3
    doc = load(write(tmp_path, "gbk.txt", text.encode("gbk")))
    assert doc.encoding == "gb18030"
    assert doc.text == text


def test_big5_is_not_decoded_as_gb18030_garbage(tmp_path):
    # Big5 bytes also decode without error as GB18030, into nonsense: trying codecs in turn
    # would accept that; the detector must not
    text = "繁體中文新聞：董事會決定擴大投資，預計明年營收將達到新高，市場普遍看好。" * 3
    data = text.encode("big5")
    assert data.decode("gb18030") != text  # the trap is real
    assert load(write(tmp_path, "big5.txt", data)).text == text


def test_corpus_documents_load_as_utf8():
    for path in discover([Path(__file__).parents[1] / "corpus"]):
        doc = load(path)
        assert doc.encoding == "utf-8"
        assert doc.doc_id == path.stem
        assert len(doc.sha256) == 64


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "binary"),
        (os.urandom(4096), None),
    ],
)
def test_unusable_files_are_refused_with_a_reason(tmp_path, data, reason):
    with pytest.raises(LoadError) as err:
        load(write(tmp_path, "bad.txt", data))
    if reason:
        assert reason in str(err.value)


def test_utf16_bom_with_broken_body_is_refused(tmp_path):
    with pytest.raises(LoadError, match="byte-order mark"):
        decode(b"\xff\xfe" + b"\x00\xd8")  # an unpaired surrogate


def test_endoftext_marker_is_plain_text(tmp_path):
    doc = load(write(tmp_path, "eot.txt", "新聞內容<|endoftext|>更多內容。".encode()))
    assert "<|endoftext|>" in doc.text


def test_bad_front_matter_is_a_warning_not_a_failure(tmp_path):
    doc = load(write(tmp_path, "fm.md", "---\ntitle: [unclosed\n---\n正文內容。\n".encode()))
    assert doc.warnings and "front matter" in doc.warnings[0]
    assert doc.metadata.title == ""


def test_html_is_reduced_to_article_text_and_metadata(tmp_path):
    html = """<html><head><title>頁面標題</title>
    <meta property="article:published_time" content="2025-04-30">
    <link rel="canonical" href="https://news.example.com/a/1"></head>
    <body><nav>首頁 &gt; 科技 &gt; 正文</nav>
    <article><h1>標題</h1><p>第一段，OpenAI 宣布新的投資計畫。</p><p>第二段，金額為五千億美元。</p></article>
    <aside>熱門文章</aside><footer>版權所有</footer><script>track()</script></body></html>"""
    doc = load(write(tmp_path, "page.html", html.encode("utf-8")))
    assert doc.format == "html"
    assert doc.text.strip().split("\n\n") == [
        "標題",
        "第一段，OpenAI 宣布新的投資計畫。",
        "第二段，金額為五千億美元。",
    ]
    assert doc.metadata.title == "頁面標題"
    assert doc.metadata.date == "2025-04-30"
    assert doc.metadata.source_url == "https://news.example.com/a/1"


def test_discover_finds_supported_files_in_stable_order(tmp_path):
    for name in ("b.md", "a.txt", "c.html", "skip.pdf", ".hidden/x.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("內容")
    assert [p.name for p in discover([tmp_path])] == ["a.txt", "b.md", "c.html"]
