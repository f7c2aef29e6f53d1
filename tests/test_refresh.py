"""``bisum refresh``: recompute only what changed, say why, and run unattended."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.schemas import OutputDocument
from tests.conftest import DOC_IDS, ROOT, run

LONG = "003_9dfb21377327b351"


def env_for(stub):
    return {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": stub.url}


def refresh(stub, *args):
    return run("refresh", "corpus/", "--no-progress", *args, env=env_for(stub))


def plan(stub, *args):
    result = run("refresh", "corpus/", "--plan", "--json", *args, env=env_for(stub))
    assert result.exit_code == 0, result.output
    return {d["doc_id"]: d for d in json.loads(result.output)["documents"]}, json.loads(
        result.output
    )


@pytest.fixture
def done(project, stub):
    """The corpus summarised once against the stub."""
    assert refresh(stub).exit_code == 0
    return project


def mtimes(folder):
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def edit_paragraph(project, old, new):
    path = project / "corpus" / f"{LONG}.txt"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_nothing_changed_costs_nothing_and_touches_nothing(done, stub):
    sent, before = stub.stats.requests, mtimes(done / "outputs")
    result = refresh(stub)
    assert result.exit_code == 0 and "5 unchanged" in result.output
    assert stub.stats.requests == sent
    assert mtimes(done / "outputs") == before
    record = json.loads((done / ".bisum/runs.jsonl").read_text().splitlines()[-1])
    assert record["command"] == "refresh" and record["documents"] == {"unchanged": 5}
    assert record["requests"] == 0


def test_one_edited_paragraph_costs_its_chunk_and_the_reduce(done, stub):
    # a correction inside one paragraph's first sentence (which the stub's notes quote, so
    # the notes and therefore the reduce request change too)
    edit_paragraph(done, "他們太強(qiáng)了。坦白講", "他們實在太強(qiáng)了。坦白講")
    docs, total = plan(stub)
    doc = docs[LONG]
    assert doc["reasons"] == ["source changed"] and doc["new_chunks"] == 1
    assert f"1 of {doc['chunks']} chunks new" in doc["summary"]
    assert doc["requests"] == 2 and total["requests"] == 2
    assert all(not docs[d]["recompute"] for d in DOC_IDS if d != LONG)

    sent, before = stub.stats.requests, mtimes(done / "outputs")
    result = refresh(stub)
    assert result.exit_code == 0, result.output
    assert stub.stats.requests - sent == 2  # the changed chunk's map + the reduce, as planned
    after = mtimes(done / "outputs")
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed <= {f"{LONG}.json", f"{LONG}.md", "index.json"}


def test_a_prompt_bump_replans_every_document_with_the_reason(done, stub):
    prompts = done / "prompts" / "reduce"
    old = max(int(p.stem[1:]) for p in prompts.glob("v*.yaml"))
    text = (prompts / f"v{old}.yaml").read_text()
    (prompts / f"v{old + 1}.yaml").write_text(
        text.replace(f"version: {old}", f"version: {old + 1}").replace(
            "(at most 15 words)", "(at most 12 words)"
        )
    )
    docs, total = plan(stub)
    for doc_id in DOC_IDS:
        assert docs[doc_id]["reasons"] == [f"prompt reduce v{old} -> v{old + 1}"]
        assert docs[doc_id]["requests"] == 1  # maps are cached: only the reduce is new
    assert total["requests"] == 5 and total["batch_cost_usd"] < total["cost_usd"]


def test_a_prompt_edited_without_a_bump_is_refused(done, stub):
    path = done / "prompts" / "map" / "v1.yaml"
    path.write_text(path.read_text().replace("at most 12", "at most 20"))
    result = refresh(stub)
    assert result.exit_code == 2 and "save the change as" in result.output
    assert "map/v2.yaml" in result.output


def test_a_model_change_replans_everything(done, stub):
    docs, _ = plan(stub, "--model", "gpt-4o-mini")
    assert all(
        docs[d]["reasons"] == ["model changed (gpt-4.1-mini -> gpt-4o-mini)"] for d in DOC_IDS
    )
    assert all(docs[d]["new_chunks"] == docs[d]["chunks"] for d in DOC_IDS)


def test_deleted_sources_are_listed_then_pruned(done, stub):
    (done / "corpus" / "000_fdd9e036d747b5c2.txt").unlink()
    docs, _ = plan(stub)
    assert docs["000_fdd9e036d747b5c2"]["reasons"] == ["deleted"]
    result = refresh(stub)
    assert "1 deleted" in result.output
    assert (done / "outputs" / "000_fdd9e036d747b5c2.json").exists()
    result = refresh(stub, "--prune")
    assert "1 pruned" in result.output
    assert not (done / "outputs" / "000_fdd9e036d747b5c2.json").exists()
    index = json.loads((done / "outputs/index.json").read_text())
    assert "000_fdd9e036d747b5c2" not in index["documents"]


def test_a_failed_document_is_retried_next_time(done, make_stub):
    (done / "corpus" / "late.txt").write_text("一篇新文章：公司宣布擴大投資，市場反應熱烈。" * 4)
    broken = make_stub(fail_first=1000)
    result = run(
        "refresh", "corpus/", "--no-progress", env={**env_for(broken), "BISUM_MAX_ATTEMPTS": "1"}
    )
    assert result.exit_code == 1 and "late" in result.output
    healthy = make_stub()
    docs, _ = plan(healthy)
    assert docs["late"]["reasons"] == ["failed last time"]
    assert refresh(healthy).exit_code == 0


def test_max_cost_below_the_plan_stops_before_the_first_request(done, stub):
    edit_paragraph(done, "歷史上看", "從歷史上看")
    sent = stub.stats.requests
    result = refresh(stub, "--max-cost", "0.000001")
    assert result.exit_code == 2 and "above --max-cost" in result.output
    assert stub.stats.requests == sent


def _spawn(project, stub, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BISUM_"))}
    env.update(env_for(stub), PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "refresh", "corpus/", "--no-progress", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_refreshes_started_together_one_runs_one_exits_75(project, make_stub):
    stub = make_stub(ttft=0.2)  # slow enough that the two runs overlap
    first, second = _spawn(project, stub), _spawn(project, stub)
    outputs = [first.communicate(timeout=60)[0], second.communicate(timeout=60)[0]]
    codes = [first.returncode, second.returncode]
    assert sorted(codes) == [0, 75], outputs
    assert "another bisum run holds" in outputs[codes.index(75)]


def test_kill_9_mid_run_then_rerun_finishes_clean(project, make_stub):
    stub = make_stub(ttft=0.05)
    victim = _spawn(project, stub, "--concurrency", "1")
    deadline = time.time() + 30
    while stub.stats.requests < 8 and time.time() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    # what a writer killed between its temp file and the rename leaves behind
    (project / "outputs").mkdir(exist_ok=True)
    (project / "outputs" / "003_9dfb21377327b351.json.bisum-tmp-k9").write_text('{"half": ')
    result = refresh(make_stub())
    assert result.exit_code == 0, result.output
    assert not list((project / "outputs").glob("*bisum-tmp*"))
    for doc_id in DOC_IDS:
        OutputDocument.model_validate_json((project / "outputs" / f"{doc_id}.json").read_bytes())
