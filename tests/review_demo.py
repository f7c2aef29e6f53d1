"""Make the example review report in docs/: a real run whose model got a figure wrong.

    python -m tests.review_demo

Runs the pipeline on the sample corpus against the stub server told to answer
``$5 trillion`` for ``5000亿美元`` (it does so again after the re-ask, so the document is
written for review), diffs the result against the committed outputs/, writes the HTML
report to docs/review-example.html and, where Debian's chromium is installed (with
fonts-noto-cjk for the Chinese), a screenshot to docs/review-example.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline import jobs
from pipeline.diff import compare
from pipeline.diffrender import render_html
from pipeline.diffsource import from_folder
from pipeline.settings import load_settings
from tests.stub import StubConfig, StubServer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1500",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for name in ("prompts", "corpus"):
            shutil.copytree(ROOT / name, project / name)
        shutil.copy(ROOT / "glossary.yaml", project / "glossary.yaml")
        os.chdir(project)
        with StubServer(StubConfig(corrupt_figures=10)) as stub:
            settings = load_settings(
                {"base_url": stub.url, "api_key": "stub"}, root=project, env={}
            )
            jobs.run([project / "corpus"], settings, jobs.RunOptions())
        base, head = from_folder(ROOT / "outputs"), from_folder(project / "outputs")
        diff = compare(
            base.outputs,
            head.outputs,
            base_index=base.index,
            head_index=head.index,
            base_name="outputs/ (committed)",
            head_name="a run that got a figure wrong",
        )
        page = DOCS / "review-example.html"
        page.write_text(render_html(diff), "utf-8")
        print(f"wrote {page}")
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium fonts-noto-cjk): no screenshot")
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={DOCS / 'review-example.png'}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(f"wrote {DOCS / 'review-example.png'}")


if __name__ == "__main__":
    main()
