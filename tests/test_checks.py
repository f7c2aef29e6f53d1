"""Faithfulness checks wired into the pipeline: re-ask, then flag for review."""

import json

import pytest
import yaml

from pipeline.checks import check_figure_list, reviewer
from pipeline.clean import clean
from pipeline.figures import extract
from pipeline.glossary import load_glossary
from pipeline.schemas import BilingualSummary
from pipeline.validate import to_script
from tests.conftest import CORPUS, DOC_IDS, ROOT, run

GLOSSARY = load_glossary(ROOT / "glossary.yaml")
DOC = "000_fdd9e036d747b5c2"


def reference(doc_id: str) -> BilingualSummary:
    data = yaml.safe_load((ROOT / "tests/reference" / f"{doc_id}.yaml").read_text())
    return to_script(BilingualSummary.model_validate(data["summary"]), "zh-Hans")


def source(doc_id: str) -> str:
    return clean((CORPUS / f"{doc_id}.txt").read_text("utf-8")).text


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_the_reference_summaries_pass_every_check(doc_id):
    assert reviewer(GLOSSARY)(source(doc_id))(reference(doc_id)) == []


def test_a_figure_listed_but_not_in_the_text_is_reported():
    summary = reference(DOC)
    figures = [*summary.figures]
    figures[0] = figures[0].model_copy(update={"en": "$600 billion"})
    problems = check_figure_list(
        summary.model_copy(update={"figures": figures}), extract(source(DOC))
    )
    assert any("figures[0].en $600 billion is not in the en summary" in p.message for p in problems)


def test_a_money_figure_missing_from_the_list_is_reported():
    summary = reference(DOC)
    problems = check_figure_list(
        summary.model_copy(update={"figures": summary.figures[1:]}), extract(source(DOC))
    )
    assert any("5000亿美元 is missing from the figures list" in p.message for p in problems)


def test_names_follow_the_glossary():
    summary = reference("002_69c8bfa5e70653f0")
    entities = [
        e.model_copy(update={"en": "Nadella Satya"}) if e.zh == "纳德拉" else e
        for e in summary.entities
    ]
    problems = GLOSSARY.check(summary.model_copy(update={"entities": entities}))
    assert [p.message for p in problems] == [
        "纳德拉 is 'Satya Nadella' in the glossary, not 'Nadella Satya'"
    ]


def test_glossary_entries_reach_the_reduce_prompt():
    from pipeline.mapreduce import reduce_messages
    from pipeline.prompts import load_prompts
    from pipeline.schemas import ChunkNotes

    notes = [ChunkNotes(facts=["奧特曼與納德拉對談"], figures=[], entities=[])]
    user = reduce_messages(load_prompts(ROOT / "prompts"), "T", "zh-Hans", notes, GLOSSARY)[1]
    assert "Sam Altman" in user["content"] and "Satya Nadella" in user["content"]
    assert "Microsoft" not in user["content"]  # only the names these notes mention


def summarise(stub):
    return run(
        "summarise", "corpus/", "--base-url", stub.url, "--no-progress", env={"OPENAI_API_KEY": "k"}
    )


def test_a_wrong_scale_is_caught_and_repaired_by_the_reask(project, make_stub):
    stub = make_stub(corrupt_figures=1)  # the first answer says $5 trillion for 5000亿美元
    result = summarise(stub)
    assert result.exit_code == 0, result.output
    output = json.loads((project / "outputs" / f"{DOC}.json").read_text())
    assert output["status"] == "ok" and output["checks"] == []
    assert "$500 billion" in output["summary"]["en"]["summary"]
    assert output["provenance"]["calls"] == output["provenance"]["chunks"] + 2  # one re-ask
    reask = [
        b for b in stub.stats.bodies if "does not pass validation" in b["messages"][-1]["content"]
    ]
    assert len(reask) == 1 and "$5 trillion" in reask[0]["messages"][-1]["content"]


def test_a_wrong_scale_that_persists_is_written_for_review(project, make_stub):
    stub = make_stub(corrupt_figures=10)
    result = summarise(stub)
    assert result.exit_code == 0, result.output
    output = json.loads((project / "outputs" / f"{DOC}.json").read_text())
    assert output["status"] == "needs_review"
    messages = [c["message"] for c in output["checks"]]
    assert any(m.startswith("en figure $5 trillion") and "not in the source" in m for m in messages)
    assert any(m.startswith("zh figure 5万亿美元") and "not in the source" in m for m in messages)
    index = json.loads((project / "outputs/index.json").read_text())
    assert index["documents"][DOC]["status"] == "needs_review"
    assert "grounded" in index["documents"][DOC]["checks"]
    page = (project / "outputs" / f"{DOC}.md").read_text()
    assert "NEEDS REVIEW" in page and "$5 trillion" in page
    assert "Needs review" in result.output and DOC in result.output
    assert "1 needs review" in result.output
