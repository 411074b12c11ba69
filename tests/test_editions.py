"""The student editions (notebooks/) and the install cell, made by scripts/editions.py."""

from __future__ import annotations

import copy
import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path

import editions  # scripts/editions.py (pytest's pythonpath setting)
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import InteractiveShell
from myst_nb.core.variables import format_plain_text

ROOT = Path(__file__).resolve().parent.parent

CHAPTERS = [ROOT / "chapters" / f"{name}.ipynb" for name in editions.STUDENT_CHAPTERS]
SITE_ONLY = ["{glue", "{cite", "{doc}", "{numref", "{ref}"]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_the_committed_editions_and_install_cells_are_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "editions.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, "run `make editions`:\n" + result.stdout + result.stderr


@pytest.mark.parametrize("name", editions.STUDENT_CHAPTERS)
def test_student_edition_prose_has_no_site_only_roles(name):
    nb = _read(ROOT / "notebooks" / f"{name}.ipynb")
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not [r for r in SITE_ONLY if r in prose]
    assert nb.metadata["lecnotes"]["edition"] == "student"


@pytest.mark.parametrize("text, spec", [("0.84765", ".1%"), ("0.4531", ".3f"), ("8", ""),
                                        ("'683,744'", ""), ("12.0", ".0f"), ("3", "d"),
                                        ("'resnet'", "s"), ("1234567.0", ",.0f"),
                                        ("'0.040'", "")])
def test_values_are_formatted_exactly_as_the_site_formats_them(text, spec):
    assert editions.format_value(text, spec) == format_plain_text(text, spec or "s")


def test_a_number_glued_as_text_pastes_as_stored_with_its_trailing_zero():
    # glue(key, 0.04, ".3f") stores the text/plain "'0.040'"; the prose names the key
    stored = {"ch2_gap": "'0.040'"}
    pasted = editions.paste_glue("a gap of {glue:text}`ch2_gap`.", stored, "x")
    assert pasted == "a gap of 0.040."


def test_a_glue_key_without_a_stored_value_is_an_error_naming_it():
    with pytest.raises(KeyError, match="ch9_missing"):
        editions.paste_glue("see {glue:text}`ch9_missing:.2f`", {}, "chapters/x")


def test_a_glued_figure_becomes_its_caption():
    text = ("Before.\n\n```{glue:figure} ch1_fig\n:alt: A chart.\n:name: fig-x\n\nThe caption,\n"
            "on two lines.\n```\n\nAfter.")
    assert editions.captions(text) == "Before.\n\n*Figure (above):* The caption, on two lines.\n\nAfter."


def test_doc_links_go_to_student_editions_or_to_the_site():
    titles = {"chapters/02_dropout": "2. Dropout"}
    site = "https://example.org/book/"
    text = "{doc}`02_dropout`, {doc}`the speed page <how_fast>` and {doc}`../intro`"
    assert editions.doc_links(text, "chapters/01_custom_head", titles, site) == (
        "[2. Dropout](02_dropout.ipynb), [the speed page](https://example.org/book/chapters/how_fast.html)"
        " and [intro](https://example.org/book/intro.html)")


def test_citations_name_the_authors_and_link_the_references():
    bib = editions.bibliography()
    out = editions.citations("data {cite}`xiao2017fashion`", bib, "R")
    assert out == "data ([Xiao et al., 2017](R))"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_starts_with_the_hidden_install_cell_for_the_configured_repository(path):
    cfg = editions.config()
    first = _read(path).cells[0]
    assert first.get("id") == editions.INSTALL_ID
    assert first.metadata["tags"] == ["remove-cell"]
    assert f"git+{cfg['repository']['url']}@{cfg['repository']['branch']}" in first.source


def test_a_fork_that_changes_the_repository_setting_gets_a_new_install_cell():
    cfg = copy.deepcopy(editions.config())
    cfg["repository"].update(url="https://github.com/someone/fork", branch="term2")
    before = _read(CHAPTERS[0])
    nb = editions.with_install_cell(before, cfg)
    assert "git+https://github.com/someone/fork@term2" in nb.cells[0].source
    assert sum(c.get("id") == editions.INSTALL_ID for c in nb.cells) == 1
    # only the source changes: the cell's stored run and its tag stay
    assert nb.cells[0].execution_count == before.cells[0].execution_count is not None
    assert nb.cells[0].metadata == before.cells[0].metadata


def _as_python(source: str) -> str:
    """The cell as the plain Python IPython runs (``%pip`` becomes a call of its magic)."""
    return TransformerManager().transform_cell(source)


def test_the_install_cell_does_nothing_where_lecnotes_is_installed():
    source = _as_python(_read(CHAPTERS[0]).cells[0].source)
    env = {"PATH": "", "LECNOTES_INSTALL_FROM": "/nonexistent"}  # pip could not run at all
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result


def _cell(cell_type: str, tags: list[str], **fields) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    make = v4.new_code_cell if cell_type == "code" else v4.new_markdown_cell
    cell = make("x = 1", **fields)
    cell.metadata["tags"] = tags
    return cell


@pytest.mark.parametrize("tag, source, outputs", [
    ("remove-cell", True, True), ("hide-cell", True, True),
    ("remove-input", True, False), ("hide-input", True, False),
    ("remove-output", False, True), ("hide-output", False, True),
    ("nbval-ignore-output", False, False)])
def test_a_code_cell_is_collapsed_where_the_site_removes_or_folds_it(tag, source,
                                                                     outputs):
    cell = _cell("code", ["nbval-ignore-output", tag])
    editions.collapse_hidden(cell)
    jupyter = cell.metadata.get("jupyter", {})
    assert jupyter.get("source_hidden", False) is source
    # JupyterLab keeps the two outputs flags equal; with one alone it rewrites the cell
    collapsed = cell.metadata.get("collapsed", False)
    assert jupyter.get("outputs_hidden", False) is collapsed is outputs


def test_a_markdown_cell_the_site_removes_collapses_its_source_only():
    cell = _cell("markdown", ["remove-cell"])
    editions.collapse_hidden(cell)
    assert cell.metadata["jupyter"] == {"source_hidden": True}
    assert "collapsed" not in cell.metadata


def test_the_install_cell_collapses_its_source_and_keeps_its_message_visible():
    cell = _cell("code", ["remove-cell"], id=editions.INSTALL_ID)
    editions.collapse_hidden(cell)
    assert cell.metadata["jupyter"] == {"source_hidden": True}
    assert "collapsed" not in cell.metadata


@pytest.mark.parametrize("name", editions.STUDENT_CHAPTERS)
def test_every_cell_the_site_hides_is_collapsed_in_the_student_edition(name):
    chapter = _read(ROOT / "chapters" / f"{name}.ipynb")
    edition = _read(ROOT / "notebooks" / f"{name}.ipynb")
    hidden = {"remove-cell", "hide-cell", "remove-input", "hide-input"}
    for before, after in zip(chapter.cells, edition.cells, strict=True):
        tagged = bool(hidden & set(before.metadata.get("tags", [])))
        collapsed = after.metadata.get("jupyter", {}).get("source_hidden", False)
        assert collapsed is tagged, after.id


@pytest.mark.parametrize("name", editions.STUDENT_CHAPTERS)
def test_the_install_cell_is_collapsed_under_a_one_line_summary(name):
    first = _read(ROOT / "notebooks" / f"{name}.ipynb").cells[0]
    assert first.id == editions.INSTALL_ID
    assert first.metadata["jupyter"]["source_hidden"]
    summary = first.source.splitlines()[0]  # what JupyterLab shows of a collapsed cell
    assert summary.startswith("# Installs") and "lecnotes" in summary


def test_no_line_of_the_install_cell_is_over_88_characters():
    cfg = editions.config()
    lines = editions.install_source(cfg).splitlines()
    assert [line for line in lines if len(line) > 88] == []


def test_the_editions_name_the_kernel_that_make_lab_installs():
    # JupyterLab writes the running kernel's spec into the notebook as it starts: any
    # other display name marks the chapter modified before the student does anything
    makefile = (ROOT / "Makefile").read_text()
    display = editions.LAB_KERNELSPEC["display_name"]
    assert f'--name python3 --display-name "{display}"' in makefile
    for name in editions.STUDENT_CHAPTERS:
        metadata = _read(ROOT / "notebooks" / f"{name}.ipynb").metadata
        assert metadata.kernelspec == editions.LAB_KERNELSPEC
        assert "version" in metadata.language_info, name  # as the kernel reports it


def test_an_edition_of_a_chapter_without_a_stored_run_gets_the_kernels_language_info():
    ran = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python",
                                                               "version": "3.11.7"}})
    never_ran = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python"}})
    assert editions.kernel_language([never_ran, ran]) == ran.metadata.language_info


@pytest.mark.parametrize("env, expected", [
    ({}, "git+https://github.com/someone/fork@term2"),
    ({"LECNOTES_INSTALL_FROM": "/a/checkout"}, "/a/checkout"),
    ({"LECNOTES_INSTALL_FROM": "/a folder/with spaces"}, "/a folder/with spaces")])
def test_the_install_cell_pip_installs_the_configured_source_where_lecnotes_is_missing(
        env, expected, monkeypatch, capsys):
    cfg = copy.deepcopy(editions.config())
    cfg["repository"].update(url="https://github.com/someone/fork", branch="term2")
    find_spec = importlib.util.find_spec
    monkeypatch.setattr("importlib.util.find_spec",
                        lambda name, *a: None if name == "lecnotes" else find_spec(name, *a))
    shell = InteractiveShell.instance()
    commands = []
    monkeypatch.setattr(shell, "system", commands.append)  # what %pip hands the shell
    monkeypatch.delenv("LECNOTES_INSTALL_FROM", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert shell.run_cell(editions.install_source(cfg)).success
    assert len(commands) == 1
    python, *argv = shlex.split(commands[0])  # as the shell splits it: spaces stay quoted
    assert argv == ["-m", "pip", "install", "--quiet", expected]
    assert Path(python) == Path(sys.executable)  # the kernel's own Python
    assert f"Installing {expected} ..." in capsys.readouterr().out
