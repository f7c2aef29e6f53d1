"""The command line as a person meets it: help, docs, schema, inspect."""

import json
import re

import jsonschema
import pytest

from pipeline.cli import main
from tests.conftest import ROOT, run

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert re.search(r"Examples?:", result.output), f"bisum {command} --help has no example"


def test_the_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text()
    for command in COMMANDS:
        assert f"bisum {command}" in readme, f"README does not mention bisum {command}"


def test_top_level_help_explains_settings_and_exit_codes():
    result = run("--help")
    assert "OPENAI_API_KEY" in result.output and "Exit codes" in result.output


def test_schema_validates_the_committed_outputs():
    schema = json.loads(run("schema").output)
    outputs = sorted((ROOT / "outputs").glob("*.json"))
    documents = [p for p in outputs if p.name != "index.json"]
    assert len(documents) == 5
    for path in documents:
        jsonschema.validate(json.loads(path.read_text()), schema)


def test_inspect_reports_encoding_removals_and_chunks(project):
    result = run("inspect", "corpus/003_9dfb21377327b351.txt", "--json")
    assert result.exit_code == 0
    (report,) = json.loads(result.output)
    assert report["encoding"] == "utf-8"
    rules = {r["rule"] for r in report["removed"]}
    assert {"ruby", "spam", "breadcrumb", "navigation-tail", "disclaimer"} <= rules
    assert all(c["tokens"] <= report["chunk_budget"] for c in report["chunks"])
    assert "網(wǎng)" not in report["text"]


def test_inspect_reports_an_unreadable_file_and_exits_1(project):
    (project / "corpus" / "empty.txt").write_bytes(b"")
    result = run("inspect", "corpus/empty.txt")
    assert result.exit_code == 1 and "empty file" in result.output


def test_inspect_human_output_lists_rules(project):
    result = run("inspect", "corpus/004_2631b9187ab6e046.txt")
    assert result.exit_code == 0
    for word in ("front-matter", "promo", "source-link", "chunks"):
        assert word in result.output
