"""Chapter lint: authoring mistakes in the book's notebooks that build and nbval miss.

Usage: python scripts/chapter_lint.py [NOTEBOOK ...]
(`make test` runs it, in tests/test_chapter_lint.py)

Without arguments it reads the chapters (chapters/0*.ipynb, how_fast.ipynb,
full_size.ipynb; not chapters/assignments/) and the student editions
(notebooks/*.ipynb). It prints one finding a line, "path [cell i]: what is wrong",
cells counted from 0 as nbformat counts them, and exits 1 if there are any.
The checks, one function each:

repeated_cells
    A markdown cell whose text, whitespace normalised, is that of an earlier markdown
    cell of the same notebook: a paragraph pasted twice. Empty cells are not compared.
dangling_colons
    A markdown cell whose text ends with ':' while the next cell is not a code cell, or
    there is none: the colon announces something that never comes. A code cell counts
    even when a tag hides it on the site.
glue_keys
    A glue key that the prose uses and no code cell stores, or that a code cell stores
    and the prose never uses. Stored: a code-cell output whose metadata holds
    {"scrapbook": {"name": key}}, as lecnotes/glue.py writes it. Used: myst-nb's roles
    {glue}, {glue:any}, {glue:text} and {glue:md} (``{glue:text}`key:.3f``` uses key)
    and its directives {glue}, {glue:any}, {glue:figure}, {glue:math} and {glue:md},
    fenced with backticks or colons. Keys are per notebook: myst-nb's reference to
    another page's key (``{glue:text}`other::key```), which the book does not use, would
    be reported as a key no cell stores.
figures_without_text
    A {figure} or {glue:figure} directive without non-empty :alt: text or without a
    caption (a non-empty body), a Markdown image ![alt](src) with empty alt text, and an
    HTML <img> tag without a non-empty alt attribute. Not checked: the {image} directive
    and images in cell outputs.
uncomputed_numbers
    A number written in the body of a {solution} directive that no code cell's source,
    no stored output and no statement of the exercise holds: a result worked out by hand
    or copied from an old run instead of computed and glued.
    A number is digits with an optional decimal part, exponent and '%': 12, 0.25, 1e-3,
    25%, 1.5%. A comma between groups of three digits is a thousands separator (16,384),
    as is '_' in code (16_384); 25% is the value 0.25; signs are not read.
    Not read in the solution: MyST roles (glued values, {doc}`04_averaging`, {ref},
    {cite}, ...), the directive's argument and options (ch3-ex-hidden, :class:), link
    targets, HTML tags, list markers, numbers written as words ("ten"), and digits that
    belong to a word or label: next to a letter, digit, '_' or '.' (resnet50, ch3, 2a,
    10x, .5) or after a letter and a hyphen (ex-07). Inline code and math are read.
    Computed: every such number in a code cell's source (comments, strings and format
    widths included) or in its stored outputs' stream text and text/* renderings (plain,
    HTML, Markdown, LaTeX, glued values), not images or errors; and the numbers of the
    {exercise} whose :label: the solution names, as a solution may restate its question.
    A stated number with two or more significant digits matches a value that, rounded
    to the decimals shown, reads the same ("1.33" matches 1.3333, "31.2%" matches
    0.3123); one with a single significant digit ("0.7", "6%", "9") only an equal value,
    since nearly every notebook holds something that rounds to it.
    What it misses: the match is by value anywhere in the notebook, so a number that
    some cell holds for another reason (a 2, a 512, a format width of 10) passes,
    whatever the solution claims about it. Only {solution} bodies are read.

glue_keys and uncomputed_numbers skip the student editions (notebook metadata
lecnotes.edition == "student"): their prose has the glued values written in, so neither
check can tell a glued number from a typed one; the chapters they are made from are
checked instead.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [*sorted((ROOT / "chapters").glob("0*.ipynb")),
            ROOT / "chapters" / "bigger_body.ipynb", ROOT / "chapters" / "how_fast.ipynb",
            ROOT / "chapters" / "full_size.ipynb"]
EDITIONS = sorted((ROOT / "notebooks").glob("*.ipynb"))

DIRECTIVE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*"
                       r"(?P<arg>[^\n]*)\n(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)"
                       r"(?P<body>.*?)^[ \t]*(?P=fence)[ \t]*$", re.M | re.S)
OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*)$", re.M)
GLUE_ROLE = re.compile(r"\{glue(?::(?:any|text|md)?)?\}`([^`]+)`")
GLUE_DIRECTIVES = ("glue", "glue:", "glue:any", "glue:figure", "glue:math", "glue:md")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\s*[(\[]")
IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
IMG_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]*\S[^\"]*\"|'[^']*\S[^']*'|[^\s\"'>]+)",
                     re.I)
NOT_PROSE = re.compile(r"\{[\w:-]+\}`[^`]*`"  # a MyST role: {glue:text}`k`, {doc}`x`
                       r"|\]\([^)]*\)"  # a link's target
                       r"|</?[A-Za-z][^>]*>"  # an HTML tag or <https://...> link
                       r"|^[ \t]*(?:[-*+]|\d+[.)])[ \t]", re.M)  # a list item's marker
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z_]-)"
                    r"(?P<digits>\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:_\d+)*)(?P<decimals>\.\d+)?"
                    r"(?P<exponent>[eE][-+]?\d+)?(?P<percent>%)?(?!\w)")


def _where(path: Path, index: int) -> str:
    """``path [cell index]``, a path in the repository relative to it."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"{shown} [cell {index}]"


def _markdown(nb: nbformat.NotebookNode) -> Iterator[tuple[int, str]]:
    """(index, text) of every markdown cell."""
    return ((i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown")


def _directives(text: str, *names: str) -> Iterator[re.Match]:
    """The fenced MyST directives called one of ``names`` in ``text``, also those
    nested in another directive (a figure in an admonition)."""
    for match in DIRECTIVE.finditer(text):
        if match["name"] in names:
            yield match
        else:
            yield from _directives(match["body"], *names)


def _is_student_edition(nb: nbformat.NotebookNode) -> bool:
    """Whether ``nb`` is a student edition, with the glued values written in."""
    return nb.metadata.get("lecnotes", {}).get("edition") == "student"


def repeated_cells(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Markdown cells whose whitespace-normalised text is that of an earlier one."""
    first: dict[str, int] = {}
    findings = []
    for i, text in _markdown(nb):
        words = " ".join(text.split())
        if words in first:
            findings.append(f"{_where(path, i)}: repeats cell {first[words]} verbatim")
        elif words:
            first[words] = i
    return findings


def dangling_colons(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Markdown cells ending with ':' that no code cell follows."""
    findings = []
    for i, text in _markdown(nb):
        after = nb.cells[i + 1].cell_type if i + 1 < len(nb.cells) else None
        if text.strip().endswith(":") and after != "code":
            what = f"the next cell is {after}" if after else "it is the last cell"
            findings.append(f"{_where(path, i)}: ends with ':' but {what}, not code")
    return findings


def stored_glue_keys(nb: nbformat.NotebookNode) -> dict[str, int]:
    """Glue key -> index of the code cell whose output stores it."""
    return {out.metadata.scrapbook.name: i
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if "scrapbook" in out.get("metadata", {})}


def used_glue_keys(text: str) -> set[str]:
    """The glue keys a markdown text uses, in roles (without format) and directives."""
    keys = {m[1].partition(":")[0].strip() for m in GLUE_ROLE.finditer(text)}
    return keys | {m["arg"].strip() for m in _directives(text, *GLUE_DIRECTIVES)}


def glue_keys(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Glue keys used but never stored, and stored but never used."""
    if _is_student_edition(nb):
        return []
    stored, used = stored_glue_keys(nb), set()
    findings = []
    for i, text in _markdown(nb):
        keys = used_glue_keys(text)
        used |= keys
        findings += [f"{_where(path, i)}: glue key {key!r} is used, no cell stores it"
                     for key in sorted(keys - stored.keys())]
    return findings + [f"{_where(path, i)}: glue key {key!r} is stored but never used"
                       for key, i in stored.items() if key not in used]


def _figure_problems(figure: re.Match) -> list[str]:
    """What a {figure} or {glue:figure} directive lacks: alt text, a caption."""
    what = f"{{{figure['name']}}} {figure['arg'].strip()}"
    has_alt = dict(OPTION.findall(figure["options"])).get("alt", "").strip()
    return ([] if has_alt else [f"{what} has no :alt: text"]) + (
        [] if figure["body"].strip() else [f"{what} has no caption"])


def figures_without_text(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Figures without alt text or caption; images and <img> tags without alt text."""
    findings = []
    for i, text in _markdown(nb):
        figures = _directives(text, "figure", "glue:figure")
        problems = [lack for figure in figures for lack in _figure_problems(figure)]
        problems += ["an image ![](...) has no alt text"
                     for alt in MARKDOWN_IMAGE.findall(text) if not alt.strip()]
        problems += [f"{tag} has no alt text"
                     for tag in IMG_TAG.findall(text) if not IMG_ALT.search(tag)]
        findings += [f"{_where(path, i)}: {problem}" for problem in problems]
    return findings


def _value(number: re.Match) -> float:
    """The value of a NUMBER match, a percentage as a fraction (25% is 0.25)."""
    digits = number["digits"].replace(",", "").replace("_", "")
    value = float(digits + (number["decimals"] or "") + (number["exponent"] or ""))
    return value / 100 if number["percent"] else value


def _prose_numbers(text: str) -> Iterator[re.Match]:
    """The numbers a directive body states in its prose (not in roles, links, ...)."""
    return NUMBER.finditer(NOT_PROSE.sub(" ", text))


def _output_texts(cell: nbformat.NotebookNode) -> Iterator[str]:
    """The stream text and text/* renderings (glued too) of a code cell's outputs."""
    for out in cell.outputs:
        yield out.get("text", "")
        yield from (data for mime, data in out.get("data", {}).items()
                    if mime.split("/")[-2] == "text")


def computed_values(nb: nbformat.NotebookNode) -> set[float]:
    """Every number in the notebook's code cells and their stored text outputs."""
    texts = [text for cell in nb.cells if cell.cell_type == "code"
             for text in (cell.source, *_output_texts(cell))]
    return {_value(m) for text in texts for m in NUMBER.finditer(text)}


def exercise_givens(nb: nbformat.NotebookNode) -> dict[str, set[float]]:
    """Exercise label -> the values its {exercise} states."""
    return {dict(OPTION.findall(ex["options"])).get("label", "").strip():
            set(map(_value, _prose_numbers(ex["body"])))
            for _, text in _markdown(nb) for ex in _directives(text, "exercise")}


def is_computed(number: re.Match, computed: set[float]) -> bool:
    """Whether a value in ``computed`` is the stated number: equal or, if it is stated
    with two or more significant digits, the same once rounded to the decimals shown."""
    stated = _value(number)
    shown = re.sub(r"\D", "", number["digits"] + (number["decimals"] or ""))
    if len(shown.lstrip("0")) < 2:
        return any(math.isclose(value, stated) for value in computed)
    places = len(number["decimals"] or ".") - 1
    kind = "e" if number["exponent"] else "%" if number["percent"] else "f"
    spec = f".{places}{kind}"
    return any(format(value, spec) == format(stated, spec) for value in computed)


def uncomputed_numbers(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Numbers in a {solution} that neither the notebook's code, nor its stored
    outputs, nor the exercise holds."""
    if _is_student_edition(nb):
        return []
    computed, givens = computed_values(nb), exercise_givens(nb)
    findings = []
    for i, text in _markdown(nb):
        for solution in _directives(text, "solution"):
            label = solution["arg"].strip()
            known = computed | givens.get(label, set())
            stated = dict.fromkeys(m[0] for m in _prose_numbers(solution["body"])
                                   if not is_computed(m, known))
            findings += [f"{_where(path, i)}: solution {label} states {number}, "
                         "which no cell computes" for number in stated]
    return findings


CHECKS = (repeated_cells, dangling_colons, glue_keys, figures_without_text,
          uncomputed_numbers)


def lint(paths: list[Path]) -> list[str]:
    """Every finding of every check on the given notebooks."""
    findings = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        findings += [finding for check in CHECKS for finding in check(nb, path)]
    return findings


def main(argv: list[str] | None = None) -> int:
    """Print the findings on the given notebooks (default: the book's); 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: the chapters and the student editions")
    findings = lint(parser.parse_args(argv).notebooks or CHAPTERS + EDITIONS)
    print("\n".join(findings) or "chapter lint: no findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
