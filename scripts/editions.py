"""The student editions: each chapter as a notebook that reads well outside the site.

Usage: python scripts/editions.py [--check]   (``make editions``; ``make execute`` runs it too)

A chapter in ``chapters/`` is written for Jupyter Book. Its prose pastes numbers with
``{glue:text}`key:fmt```, places figures with ``{glue:figure}``, cites with ``{cite}`` and links
with ``{doc}``: roles that only the site build understands. JupyterLab (even with
jupyterlab-myst), Colab and VS Code show them as raw keys.

This script writes ``notebooks/NAME.ipynb`` for every chapter whose page has a launch
button. The code cells and their stored outputs are the chapter's own. In the prose:

* each glue role becomes the value the chapter's stored run produced, formatted as the site
  formats it, so the numbers a student reads are the site's numbers;
* each ``{glue:figure}`` becomes its caption (the figure itself shows under the cell that
  makes it, since ``lecnotes.glue`` displays figures);
* each citation becomes "(Author et al., year)" linked to the site's references page;
* each ``{doc}`` link goes to the other student edition, or to the site for appendix pages.

It also keeps the first cell of every chapter (the one that installs ``lecnotes`` where it
is missing) in step with ``repository.url`` and ``repository.branch`` in ``_config.yml``.
``--check`` changes nothing and exits 1 if any file is out of date (the tests run it).
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
EDITIONS = ROOT / "notebooks"
STUDENT_CHAPTERS = ("01_custom_head", "02_dropout", "03_choosing_p", "04_averaging", "05_xtra_fc",
                    "bigger_body", "full_size")
INSTALL_ID = "install-lecnotes"
INSTALL_CELL = '''\
# Installs the book's helper package `lecnotes` if it is missing (Colab, a bare Python).
# Where it is already installed, this cell does nothing.
import importlib.util
import os

if importlib.util.find_spec("lecnotes") is None:
    default = "git+{url}@{branch}"
    source = os.environ.get("LECNOTES_INSTALL_FROM", default)
    print(f"Installing {{source}} ...")
    %pip install --quiet "{{source}}"'''
# IPython's %pip runs pip in the Python of the running kernel, as Colab and Jupyter need;
# outside IPython (``python -c``) the cell is not Python, so tests run it through IPython.

# How the site treats each cell tag (Jupyter Book / myst-nb): "remove" leaves the part
# out of the page, "hide" folds it behind a toggle. The student editions collapse both.
HIDDEN_BY_TAG = {
    "remove-cell": ("source", "outputs"), "hide-cell": ("source", "outputs"),
    "remove-input": ("source",), "hide-input": ("source",),
    "remove-output": ("outputs",), "hide-output": ("outputs",),
}
# The kernel `make setup-lab` installs into the venv (the Makefile's ipykernel install).
# JupyterLab writes the running kernel's spec into the notebook as the kernel starts, so
# an edition that records another display name would open already marked modified.
LAB_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (lecnotes)",
                  "language": "python"}

GLUE_ROLE = re.compile(r"\{glue(?::text|:md|:any)?\}`([^`]+)`")
GLUE_FIGURE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glue:figure\}[ \t]*(?P<key>\S+)[ \t]*\n"
                         r"(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)\n?(?P<caption>.*?)\n?^(?P=fence)[ \t]*$",
                         re.M | re.S)
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
DOC = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<([^`>]+)>|([^`]+))`")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def site_url(cfg: dict) -> str:
    """The published site's address, ``html.baseurl`` in ``_config.yml``, ending in '/'."""
    return cfg["html"]["baseurl"].rstrip("/") + "/"


def install_source(cfg: dict) -> str:
    repo = cfg["repository"]
    return INSTALL_CELL.format(url=repo["url"], branch=repo.get("branch", "main"))


def with_install_cell(nb: nbformat.NotebookNode, cfg: dict) -> nbformat.NotebookNode:
    """The notebook with its first cell being the install cell (added or brought up to date)."""
    nb = copy.deepcopy(nb)
    source = install_source(cfg)
    if nb.cells and nb.cells[0].get("id") == INSTALL_ID:
        nb.cells[0].source = source  # the stored run (execution count, timing) stays
    else:
        cell = nbformat.v4.new_code_cell(source, id=INSTALL_ID)
        cell.metadata["tags"] = ["remove-cell"]  # not shown on the site: lecnotes is there
        nb.cells.insert(0, cell)
    return nb


def glue_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Glue key -> the text/plain that the chapter's stored run recorded for it."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                values[meta["name"]] = out["data"].get(prefix + "text/plain", "")
    return values


def format_value(text: str, spec: str) -> str:
    """Format a glued text/plain value with a format spec, as the site build does."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    else:
        value = str(value)
    return format(value, spec)


def paste_glue(text: str, values: dict[str, str], where: str) -> str:
    def one(match: re.Match) -> str:
        key, _, spec = match.group(1).partition(":")
        if key not in values:
            raise KeyError(f"{where}: glue key {key!r} has no stored value; run `make execute` first")
        return format_value(values[key], spec)

    return GLUE_ROLE.sub(one, text)


def captions(text: str) -> str:
    """Replace each ``{glue:figure}`` block with its caption, set off as the figure's caption."""
    return GLUE_FIGURE.sub(lambda m: "*Figure (above):* " + " ".join(m["caption"].split()), text)


def citations(text: str, bib: dict[str, str], refs_url: str) -> str:
    def one(match: re.Match) -> str:
        keys = [k.strip() for k in match.group(1).split(",")]
        missing = [k for k in keys if k not in bib]
        if missing:
            raise KeyError(f"citation key(s) {missing} are not in references.bib")
        return f"([{'; '.join(bib[k] for k in keys)}]({refs_url}))"

    return CITE.sub(one, text)


def doc_links(text: str, here: str, titles: dict[str, str], site: str) -> str:
    """``{doc}`` roles -> Markdown links, to a student edition where there is one."""

    def one(match: re.Match) -> str:
        label, target = (match[1], match[2]) if match[2] else (None, match[3])
        docname = (Path(here).parent / target).as_posix() if not target.startswith("/") else target[1:]
        docname = str(Path(docname)).replace("\\", "/")
        parts: list[str] = []
        for part in docname.split("/"):
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        docname = "/".join(parts)
        name = docname.split("/")[-1]
        href = f"{name}.ipynb" if name in STUDENT_CHAPTERS else f"{site}{docname}.html"
        return f"[{label or titles.get(docname, name)}]({href})"

    return DOC.sub(one, text)


def bibliography() -> dict[str, str]:
    """Citation key -> "Author et al., year", as the site's author-year style shows it."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(ROOT / "references.bib")).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = ([" ".join(p.last_names).strip("{}") for p in people]
                 or [entry.fields.get("organization", key)])
        who = names[0] if len(names) == 1 else (" and ".join(names) if len(names) == 2
                                                 else f"{names[0]} et al.")
        entries[key] = f"{who}, {entry.fields.get('year', 'n.d.')}"
    return entries


def page_titles() -> dict[str, str]:
    """Docname -> the page's first heading, for link texts."""
    titles = {}
    for path in list(ROOT.glob("chapters/**/*.ipynb")) + list(ROOT.glob("**/*.md")):
        if ".venv" in path.parts or "_build" in path.parts:
            continue
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        else:
            text = path.read_text()
        heading = re.search(r"^# (.+)$", text, re.M)
        if heading:
            titles[path.relative_to(ROOT).with_suffix("").as_posix()] = heading.group(1).strip()
    return titles


def collapse_hidden(cell: nbformat.NotebookNode) -> None:
    """Collapse, in place, the parts of a cell that the site removes or folds by tag.

    JupyterLab shows a collapsed input as its first line and a collapsed output as a
    bar; a click opens either. The metadata is in the form JupyterLab saves, so opening
    the notebook changes nothing: ``jupyter.source_hidden``, and for a code cell's
    outputs both ``jupyter.outputs_hidden`` and ``collapsed``, which JupyterLab keeps
    equal.
    """
    parts = {part for tag in cell.metadata.get("tags", [])
             for part in HIDDEN_BY_TAG.get(tag, ())}
    if cell.cell_type != "code" or cell.get("id") == INSTALL_ID:
        parts.discard("outputs")  # the install cell's one line, when it installs, shows
    if not parts:
        return
    jupyter = cell.metadata.setdefault("jupyter", {})
    if "source" in parts:
        jupyter["source_hidden"] = True
    if "outputs" in parts:
        jupyter["outputs_hidden"] = cell.metadata["collapsed"] = True


def kernel_language(chapters: list[nbformat.NotebookNode]) -> dict:
    """The ``language_info`` the book's kernel recorded in the chapters' stored runs.

    JupyterLab writes the running kernel's ``language_info`` into a notebook as the
    kernel starts; an edition that already holds it opens unmodified, even one whose
    chapter has no stored run (full_size).
    """
    infos = [nb.metadata.get("language_info", {}) for nb in chapters]
    return next((info for info in infos if "version" in info), {"name": "python"})


def student_edition(nb: nbformat.NotebookNode, docname: str, cfg: dict, bib: dict[str, str],
                    titles: dict[str, str], language: dict | None = None,
                    ) -> nbformat.NotebookNode:
    """The student edition of one chapter (see the module docstring)."""
    out = copy.deepcopy(nb)
    values = glue_values(nb)
    site = site_url(cfg)
    for cell in out.cells:
        collapse_hidden(cell)
        if cell.cell_type != "markdown":
            continue
        text = captions(cell.source)
        text = paste_glue(text, values, docname)
        text = citations(text, bib, f"{site}references.html")
        cell.source = doc_links(text, docname, titles, site)
    out.metadata["kernelspec"] = dict(LAB_KERNELSPEC)
    out.metadata["language_info"] = copy.deepcopy(language or kernel_language([nb]))
    source = f"chapters/{docname.split('/')[-1]}.ipynb"
    out.metadata["lecnotes"] = {"edition": "student", "source": source}
    return out


def build(check: bool = False) -> list[Path]:
    """Bring the install cells and the student editions up to date; return the stale files."""
    cfg, bib, titles = config(), bibliography(), page_titles()
    stale = []
    EDITIONS.mkdir(exist_ok=True)
    sources = [ROOT / "chapters" / f"{name}.ipynb" for name in STUDENT_CHAPTERS]
    chapters = [nbformat.read(source, as_version=4) for source in sources]
    language = kernel_language(chapters)
    for name, source, nb in zip(STUDENT_CHAPTERS, sources, chapters, strict=True):
        chapter = with_install_cell(nb, cfg)
        docname = f"chapters/{name}"
        edition = student_edition(chapter, docname, cfg, bib, titles, language)
        for path, new in ((source, chapter), (EDITIONS / f"{name}.ipynb", edition)):
            text = nbformat.writes(new) + "\n"
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not check:
                    path.write_text(text)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = build(check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
