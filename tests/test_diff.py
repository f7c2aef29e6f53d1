"""``bisum diff``: classification of changes between two sets of outputs, the sources a
side can come from (folders, git revisions) and the report formats."""

import json
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.diff import compare, normalise, segments
from pipeline.diffsource import from_folder
from tests.conftest import ROOT, run

DOC = "000_fdd9e036d747b5c2"


@pytest.fixture
def trees(tmp_path, monkeypatch):
    """Two copies of the committed sample outputs: base/ and head/ (to be edited)."""
    monkeypatch.chdir(tmp_path)
    for name in ("base", "head"):
        shutil.copytree(ROOT / "outputs", tmp_path / name)
    return tmp_path / "base", tmp_path / "head"


def edit(folder: Path, doc_id: str, change) -> None:
    path = folder / f"{doc_id}.json"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def classify(base: Path, head: Path):
    old, new = from_folder(base), from_folder(head)
    return compare(old.outputs, new.outputs, base_index=old.index, head_index=new.index)


def field(diff, doc_id, name):
    doc = next(d for d in diff.documents if d.doc_id == doc_id)
    return next(f for f in doc.fields if f.field == name), doc


def test_identical_trees_are_unchanged(trees):
    diff = classify(*trees)
    assert diff.changed == [] and diff.counts() == {"unchanged": 5}


def test_a_chinese_figure_rescaled_is_a_fact_change(trees):
    base, head = trees
    edit(
        head,
        DOC,
        lambda d: d["summary"]["zh"].update(
            summary=d["summary"]["zh"]["summary"].replace("5000亿美元", "5万亿美元")
        ),
    )
    change, doc = field(classify(base, head), DOC, "zh.summary")
    assert change.kind == "facts changed" and doc.kind == "facts changed"
    assert "figure removed: 5000亿美元" in change.facts
    assert "figure added: 5万亿美元" in change.facts


def test_the_same_figure_in_other_words_is_wording(trees):
    base, head = trees
    edit(
        head,
        DOC,
        lambda d: d["summary"]["en"].update(
            summary=d["summary"]["en"]["summary"].replace("$500 billion", "500 billion US dollars")
        ),
    )
    change, doc = field(classify(base, head), DOC, "en.summary")
    assert change.kind == "wording changed" and change.facts == ()
    assert doc.kind == "wording changed"


def test_punctuation_width_is_formatting_only(trees):
    base, head = trees
    edit(
        head,
        DOC,
        lambda d: d["summary"]["zh"].update(
            summary=d["summary"]["zh"]["summary"].replace("，", ",")
        ),
    )
    change, _ = field(classify(base, head), DOC, "zh.summary")
    assert change.kind == "formatting only"


def test_spacing_between_chinese_and_latin_is_formatting_only():
    assert normalise("OpenAI财务长 Sarah Friar 称") == normalise("OpenAI财务长Sarah Friar称")
    assert normalise("收入，增长") == normalise("收入,增长")


def test_a_renamed_entity_is_a_fact_change(trees):
    base, head = trees
    edit(head, DOC, lambda d: d["summary"]["entities"][1].update(en="Sara Fryer"))
    change, _ = field(classify(base, head), DOC, "entities")
    assert change.kind == "facts changed"
    assert any("name added" in f and "Sara Fryer" in f for f in change.facts)


def test_added_removed_failed_and_flagged_documents_come_first(trees):
    base, head = trees
    (head / "001_ce46cb70e5db9093.json").unlink()  # failed this time: index says so
    index = json.loads((head / "index.json").read_text())
    index["documents"]["001_ce46cb70e5db9093"] = {"status": "failed", "error": "timeout"}
    (head / "index.json").write_text(json.dumps(index))
    (head / "004_2631b9187ab6e046.json").unlink()  # removed
    shutil.copy(head / f"{DOC}.json", head / "new_doc.json")  # added
    edit(head, "002_69c8bfa5e70653f0", lambda d: d.update(status="needs_review"))
    edit(head, "003_9dfb21377327b351", lambda d: d["summary"]["en"].update(headline="Other words"))
    diff = classify(base, head)
    first = [(d.doc_id, d.kind, d.flag) for d in diff.ordered()[:4]]
    assert ("new_doc", "added", None) in first
    assert ("004_2631b9187ab6e046", "removed", None) in first
    assert ("001_ce46cb70e5db9093", "unchanged", "newly failed") in first
    assert ("002_69c8bfa5e70653f0", "unchanged", "newly flagged") in first
    assert diff.ordered()[4].doc_id == "003_9dfb21377327b351"


def test_provenance_changes_are_rolled_up(trees):
    base, head = trees
    for path in head.glob("0*.json"):
        edit(head, path.stem, lambda d: d["provenance"].update(model="stub-gpt-4o-mini"))
    diff = classify(base, head)
    assert diff.provenance_rollup() == {"model stub-gpt-4.1-mini -> stub-gpt-4o-mini": 5}


def test_inline_segments_chinese_by_character_english_by_word():
    assert segments("收入增长", "收入下降", "zh") == [("=", "收入"), ("-", "增长"), ("+", "下降")]
    assert segments("revenue rose fast", "revenue fell fast", "en") == [
        ("=", "revenue "),
        ("-", "rose "),
        ("+", "fell "),
        ("=", "fast"),
    ]


def test_cli_formats_and_fail_on(trees):
    base, head = trees
    edit(
        head,
        DOC,
        lambda d: d["summary"]["zh"].update(
            summary=d["summary"]["zh"]["summary"].replace("5000亿美元", "5万亿美元")
        ),
    )
    md = run("diff", base, head, "--format", "md")
    assert md.exit_code == 0
    assert "### Needs attention" in md.output and "<details>" in md.output
    assert "~~" in md.output and "**" in md.output
    data = json.loads(run("diff", base, head, "--format", "json").output)
    assert data["counts"]["facts changed"] == 1
    assert data["documents"][0]["fields"][0]["kind"] == "facts changed"
    assert run("diff", base, head, "--fail-on", "facts").exit_code == 1
    assert run("diff", base, base, "--fail-on", "any").exit_code == 0
    page = run("diff", base, head, "--format", "html", "-o", "review.html")
    assert page.exit_code == 0
    text = Path("review.html").read_text("utf-8")
    HTMLParser().feed(text)  # parses
    assert "<del>" in text and "<ins>" in text and "<style>" in text and "http" not in text


def test_wording_is_not_a_failure_for_fail_on_facts(trees):
    base, head = trees
    edit(
        head,
        DOC,
        lambda d: d["summary"]["en"].update(
            headline=d["summary"]["en"]["headline"].replace("says", "states")
        ),
    )
    assert run("diff", base, head, "--fail-on", "facts").exit_code == 0
    assert run("diff", base, head, "--fail-on", "any").exit_code == 1


def test_identical_trees_say_so_quickly(trees):
    start = time.perf_counter()
    result = run("diff", *trees)
    assert result.exit_code == 0 and "No changes" in result.output
    assert time.perf_counter() - start < 5  # generous: the benchmark below reports the figure


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_diff_between_two_git_revisions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    shutil.copytree(ROOT / "outputs", repo / "outputs")
    _git(repo, "add", "outputs")
    _git(repo, "commit", "-qm", "first")
    edit(
        repo / "outputs",
        DOC,
        lambda d: d["summary"]["en"].update(
            summary=d["summary"]["en"]["summary"].replace("$500 billion", "$5 trillion")
        ),
    )
    _git(repo, "commit", "-qam", "second")
    (repo / "outputs" / f"{DOC}.json").write_text("{broken")  # the work tree is not read
    monkeypatch.chdir(repo)
    result = run("diff", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["base"] == "HEAD~1:outputs" and data["counts"]["facts changed"] == 1
    assert run("diff", "nope", "HEAD").exit_code == 2
