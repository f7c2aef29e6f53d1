"""The deployment examples: valid files whose bisum commands parse."""

import configparser
import shlex
import subprocess
import sys

import pytest
import yaml

from pipeline.cli import main
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def parses(argv: list[str]) -> None:
    """Parse a bisum command line exactly as the CLI would, without running it."""
    assert argv[0].endswith("bisum")
    command = main.get_command(None, argv[1])
    assert command is not None, argv
    command.make_context(argv[1], argv[2:])


@pytest.mark.parametrize(
    "schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"]
)
def test_github_workflow_is_valid(schema):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            schema,
            str(DEPLOY / "github" / "refresh.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_refreshes_and_proposes_the_review_diff():
    workflow = yaml.safe_load((DEPLOY / "github" / "refresh.yml").read_text())
    steps = workflow["jobs"]["refresh"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert "secrets.OPENAI_API_KEY" in str(steps)
    assert "bisum refresh corpus/" in scripts and "bisum diff --format md" in scripts
    assert "gh pr create" in scripts and "--body-file" in scripts
    for line in scripts.splitlines():
        line = line.strip()
        if line.startswith("bisum "):
            parses(shlex.split(line.split(">")[0]))


def test_systemd_units_are_well_formed():
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read(DEPLOY / "systemd" / "bisum-refresh.service")
    assert service["Service"]["Type"] == "oneshot"
    assert "75" in service["Service"]["SuccessExitStatus"]
    parses(shlex.split(service["Service"]["ExecStart"]))
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "systemd" / "bisum-refresh.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_crontab_line_runs_a_valid_refresh():
    lines = (DEPLOY / "crontab").read_text().splitlines()
    (line,) = [x for x in lines if x and not x.startswith("#")]
    fields = line.split(None, 5)
    assert len(fields) == 6  # five time fields and the command
    command = fields[5].split("&&")[-1].split(">>")[0]
    parses(shlex.split(command))
