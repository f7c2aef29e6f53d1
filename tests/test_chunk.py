from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.chunk import chunk
from pipeline.clean import clean
from pipeline.encodings import get_encoding

CORPUS = Path(__file__).parents[1] / "corpus"
ENC = get_encoding("o200k_base")
TEXTS = {p.stem: clean(p.read_text("utf-8")).text for p in sorted(CORPUS.glob("*.txt"))}
EDITS = {
    "figure corrected": lambda p: p.replace("1", "2", 1) if "1" in p else p + "（更正）",
    "sentence inserted mid-paragraph": lambda p: (
        p[: len(p) // 2] + "記者補充了一句話，" + p[len(p) // 2 :]
    ),
    "sentence appended": lambda p: p + "另外，記者還補充了一句話。",
}


def _count(text: str) -> int:
    return len(ENC.encode_ordinary(text))


def _rejoin(chunks) -> str:
    return "".join(c.text for c in chunks)


@pytest.mark.parametrize("budget", [200, 800, 2000])
@pytest.mark.parametrize("doc_id", sorted(TEXTS))
def test_every_chunk_is_within_budget_and_nothing_is_lost(doc_id, budget):
    text = TEXTS[doc_id]
    chunks = chunk(text, budget, ENC)
    assert all(c.tokens <= budget and c.tokens == _count(c.text) for c in chunks)
    # chunks cut at paragraph, sentence or character boundaries: nothing added or lost
    assert _rejoin(chunks).replace("\n", "") == text.replace("\n", "")
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_long_document_is_split_at_paragraphs():
    chunks = chunk(TEXTS["003_9dfb21377327b351"], 2000, ENC)
    assert len(chunks) > 5
    paragraphs = set(TEXTS["003_9dfb21377327b351"].strip().split("\n\n"))
    for c in chunks:  # every chunk starts and ends on paragraph boundaries here
        parts = c.text.split("\n\n")
        assert parts[0] in paragraphs and parts[-1] in paragraphs


def test_special_token_text_is_counted_not_refused():
    text = "<|endoftext|>新聞<|endofprompt|>" * 200
    chunks = chunk(text, 100, ENC)
    assert _rejoin(chunks) == text
    assert all(c.tokens <= 100 for c in chunks)


def test_a_paragraph_over_budget_is_cut_at_sentence_ends():
    sentence = "這是一個完整的句子，描述了一件事情。"
    text = sentence * 60
    chunks = chunk(text, 120, ENC)
    assert len(chunks) > 1
    assert all(c.text.endswith("。") for c in chunks)


def test_an_unbroken_run_is_cut_between_characters():
    text = "中" * 3000
    chunks = chunk(text, 100, ENC)
    assert _rejoin(chunks) == text and all(c.tokens <= 100 for c in chunks)


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("doc_id", sorted(TEXTS))
def test_editing_one_paragraph_changes_at_most_two_chunks(doc_id, edit):
    paragraphs = TEXTS[doc_id].strip().split("\n\n")
    before = {c.text for c in chunk(TEXTS[doc_id], 2000, ENC)}
    for i, paragraph in enumerate(paragraphs):
        edited = [*paragraphs[:i], EDITS[edit](paragraph), *paragraphs[i + 1 :]]
        after = chunk("\n\n".join(edited), 2000, ENC)
        new = [c for c in after if c.text not in before]
        assert len(new) <= 2, f"{edit} in paragraph {i} changed {len(new)} chunks"


@pytest.mark.parametrize("doc_id", sorted(TEXTS))
def test_inserting_a_paragraph_changes_at_most_two_chunks(doc_id):
    paragraphs = TEXTS[doc_id].strip().split("\n\n")
    before = {c.text for c in chunk(TEXTS[doc_id], 2000, ENC)}
    for i in range(len(paragraphs) + 1):
        edited = [*paragraphs[:i], "這是一段新插入的段落，補充了事件的最新進展。", *paragraphs[i:]]
        after = chunk("\n\n".join(edited), 2000, ENC)
        assert sum(c.text not in before for c in after) <= 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("中文新聞報導，。！？；abc 123\n"), min_size=1, max_size=400
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=16, max_value=300),
)
def test_any_text_is_chunked_within_budget_without_loss(paragraphs, budget):
    text = "\n\n".join(paragraphs)
    chunks = chunk(text, budget, ENC)
    assert all(c.tokens <= budget for c in chunks)
    squash = lambda s: "".join(s.split())  # noqa: E731 (whitespace at paragraph edges is trimmed)
    assert squash(_rejoin(chunks)) == squash(text)


def test_offline_encodings_match_published_token_ids():
    # ids published in tiktoken's README and tests for these strings
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
