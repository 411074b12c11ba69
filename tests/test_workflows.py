"""The GitHub Actions set-up in .github/, checked by two real linters from the venv.

check-jsonschema validates each workflow, and Dependabot's configuration, against the published
schema for such files (a misspelt key or a wrong type fails here, not only when GitHub refuses
it), and zizmor audits them for security mistakes: actions not pinned to a commit, write
permissions wider than the job that needs them, checkout credentials left on disk, Dependabot
proposing releases on the day they appear. Both run offline: the schemas ship inside
check-jsonschema, and `zizmor --offline` turns off the audits that would ask GitHub's API (and
so never wants a token). Last, the published PDF: intro.md's link, `make pdf`'s file name and
book.yml's copy step must agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from make_pdf import DEFAULT_PDF  # scripts/ is on pytest's pythonpath (pyproject.toml)

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
# The venv's own copies: `make test` installs both (pyproject.toml's `test` extra), and a
# tool of the same name elsewhere on PATH could be another release with other rules.
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))


def _run(*args: str | Path) -> subprocess.CompletedProcess:
    """Run one linter from the venv and capture what it says.

    Args:
        *args: the tool's name in the venv's bin folder, then its arguments.

    Returns:
        The finished process, with its output as text.
    """
    return subprocess.run([str(BIN / str(args[0])), *map(str, args[1:])],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_the_publishing_workflow_is_among_the_files_checked():
    assert GITHUB / "workflows" / "book.yml" in WORKFLOWS, WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_file_matches_the_github_workflow_schema(workflow):
    result = _run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_matches_the_dependabot_schema():
    config = GITHUB / "dependabot.yml"
    assert config.is_file(), "no .github/dependabot.yml: nothing proposes new releases of the pins"
    result = _run("check-jsonschema", "--builtin-schema", "vendor.dependabot", config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_to_fix_in_the_github_folder():
    # --offline: no audit asks GitHub's API, so no token and no network are needed here.
    result = _run("zizmor", "--offline", "--no-progress", "--color", "never", GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_site_publishes_the_pdf_that_intro_links_to():
    """The PDF is made after the site is built, so intro.md links to its published address
    (html.baseurl + the name `make pdf` writes), and book.yml must copy that very file into the
    site before uploading it to Pages."""
    pdf = DEFAULT_PDF.relative_to(ROOT).as_posix()  # _build/pdf/lesson4-annotated.pdf
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    link = f"{baseurl.rstrip('/')}/{DEFAULT_PDF.name}"
    assert f"]({link})" in (ROOT / "intro.md").read_text(), f"intro.md does not link to {link}"

    steps = yaml.safe_load((GITHUB / "workflows" / "book.yml").read_text())["jobs"]["test"]["steps"]
    copies = [i for i, step in enumerate(steps) if f"cp {pdf} _build/html/" in step.get("run", "")]
    uploads = [i for i, step in enumerate(steps)
               if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert copies and uploads, f"book.yml should copy {pdf} into _build/html/, then upload it"
    assert copies[0] < uploads[0] and steps[uploads[0]]["with"]["path"] == "_build/html"
