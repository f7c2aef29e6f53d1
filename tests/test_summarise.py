"""``bisum summarise`` end to end against the stub server over real HTTP."""

import json
import os
import shutil
from pathlib import Path

import yaml

from pipeline.schemas import OutputDocument
from pipeline.script import convert
from tests.conftest import DOC_IDS, ROOT, run


def summarise(stub, *args, env=None):
    return run(
        "summarise",
        "corpus/",
        "--base-url",
        stub.url,
        "--no-progress",
        *args,
        env={"OPENAI_API_KEY": "test-key", **(env or {})},
    )


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_corpus_is_summarised_into_valid_outputs(project, stub):
    result = summarise(stub)
    assert result.exit_code == 0, result.output
    outputs = project / "outputs"
    for doc_id in DOC_IDS:
        output = OutputDocument.model_validate_json((outputs / f"{doc_id}.json").read_bytes())
        reference = yaml.safe_load((ROOT / "tests/reference" / f"{doc_id}.yaml").read_text())
        assert output.summary.en.headline == reference["summary"]["en"]["headline"]
        assert output.summary.zh.headline == convert(
            reference["summary"]["zh"]["headline"], "zh-Hans"
        )
        assert output.provenance.model == "stub-gpt-4.1-mini"
        assert output.provenance.calls == output.provenance.chunks + 1
        assert output.source.path == f"corpus/{doc_id}.txt"
        page = (outputs / f"{doc_id}.md").read_text()
        assert output.summary.zh.summary in page and output.summary.en.summary in page
    index = json.loads((outputs / "index.json").read_text())
    assert index["counts"] == {"ok": 5} and sorted(index["documents"]) == DOC_IDS
    assert "5 ok" in result.output


def test_a_second_run_offline_sends_nothing_and_rewrites_nothing(project, stub):
    assert summarise(stub).exit_code == 0
    sent = stub.stats.requests
    before = snapshot(project / "outputs")
    # same endpoint as the first run: the cache key includes the server host
    result = run("summarise", "corpus/", "--offline", "--no-progress", "--base-url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.stats.requests == sent
    assert snapshot(project / "outputs") == before  # same bytes, files not even rewritten
    assert "0 sent" in result.output


def test_outputs_are_deterministic_across_fresh_runs(project, make_stub, tmp_path):
    assert summarise(make_stub()).exit_code == 0
    first = {p.name: p.read_bytes() for p in (project / "outputs").iterdir()}
    shutil.rmtree(project / "outputs")
    shutil.rmtree(project / ".bisum")
    assert summarise(make_stub(), "--concurrency", "2").exit_code == 0
    assert {p.name: p.read_bytes() for p in (project / "outputs").iterdir()} == first


def test_a_server_that_rejects_json_schema_still_works(project, make_stub):
    stub = make_stub(reject_json_schema=True)
    result = summarise(stub)
    assert result.exit_code == 0, result.output
    assert "json_schema -> json_object" in result.output
    assert stub.stats.by_kind["reduce"] >= 5


def test_long_notes_are_collapsed_before_the_reduce(project, stub):
    result = summarise(stub, "--chunk-tokens", "400", env={"BISUM_REDUCE_TOKENS": "1500"})
    assert result.exit_code == 0, result.output
    assert stub.stats.by_kind.get("collapse", 0) > 0
    output = json.loads((project / "outputs/003_9dfb21377327b351.json").read_text())
    assert output["provenance"]["calls"] > output["provenance"]["chunks"] + 1


def test_bad_inputs_fail_alone_and_the_batch_goes_on(project, stub):
    folder = project / "corpus"
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "gbk.txt").write_bytes(
        ("简体中文新闻：今年营收增长百分之四十，市场反应热烈。" * 4).encode("gbk")
    )
    (folder / "big5.txt").write_bytes(
        ("繁體中文新聞：今年營收成長百分之四十，市場反應熱烈。" * 4).encode("big5")
    )
    (folder / "eot.txt").write_text("新聞內容<|endoftext|>，後續報導。" * 5, encoding="utf-8")
    result = summarise(stub)
    assert result.exit_code == 1
    assert "empty.txt): empty file" in result.output
    assert "binary.txt): binary file" in result.output
    for doc_id in ("gbk", "big5", "eot", *DOC_IDS):
        assert (project / "outputs" / f"{doc_id}.json").is_file(), doc_id
    index = json.loads((project / "outputs/index.json").read_text())
    assert index["documents"]["empty"]["status"] == "failed"
    assert index["counts"] == {"ok": 8, "failed": 2}


def test_a_missing_key_is_one_clear_line(project):
    result = run("summarise", "corpus/")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "OPENAI_API_KEY is not set" in result.output


def test_a_wrong_flag_is_a_usage_error(project):
    result = run("summarise", "corpus/", "--concurency", "4")
    assert result.exit_code == 2
    assert "No such option '--concurency'. Did you mean '--concurrency'?" in result.output
    assert "Traceback" not in result.output


def test_an_invalid_setting_names_the_value(project, stub):
    result = run("summarise", "corpus/", env={"BISUM_CONCURRENCY": "many", "OPENAI_API_KEY": "k"})
    assert result.exit_code == 2
    assert "concurrency='many'" in result.output


def test_dry_run_quotes_without_calling(project, stub):
    result = run("summarise", "corpus/", "--dry-run", "--json")
    assert result.exit_code == 0
    plan = json.loads(result.output)
    assert stub.stats.requests == 0
    by_id = {d["doc_id"]: d for d in plan["documents"]}
    assert by_id["003_9dfb21377327b351"]["chunks"] > 5
    assert all(d["requests"] >= d["chunks"] + 1 for d in plan["documents"])
    assert plan["cost_usd"] > 0
    assert abs(plan["batch_cost_usd"] - plan["cost_usd"] / 2) < 1e-6


def test_max_cost_below_the_plan_stops_before_any_request(project, stub):
    result = summarise(stub, "--max-cost", "0.0001")
    assert result.exit_code == 2
    assert "above --max-cost" in result.output and stub.stats.requests == 0


def test_a_held_lock_exits_75_and_names_the_holder(project, stub):
    from pipeline.runlock import run_lock

    with run_lock(project / ".bisum", "refresh"):
        result = summarise(stub)
    assert result.exit_code == 75
    assert f"pid {os.getpid()}" in result.output and "refresh" in result.output
    assert stub.stats.requests == 0
