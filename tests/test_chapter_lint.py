"""The chapter lint (scripts/chapter_lint.py): each check on a notebook that must be
flagged and on a near-identical one that must not, then on the book itself."""

from __future__ import annotations

from pathlib import Path

import chapter_lint  # scripts/chapter_lint.py (pytest's pythonpath setting)
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

PATH = Path("x.ipynb")
RECORD = "application/papermill.record/"  # lecnotes.glue.PREFIX


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A notebook of the given cells."""
    return new_notebook(cells=list(cells))


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell."""
    return new_markdown_cell(text)


def code(source: str = "pass", printed: str = "") -> nbformat.NotebookNode:
    """A code cell whose stored output is ``printed`` (none if empty)."""
    outputs = [new_output("stream", name="stdout", text=printed)] if printed else []
    return new_code_cell(source, outputs=outputs)


def glued(*keys: str) -> nbformat.NotebookNode:
    """A code cell whose outputs store ``keys``, as lecnotes.glue.glue writes them."""
    outputs = [new_output("display_data", data={RECORD + "text/plain": "0.5"},
                          metadata={"scrapbook": {"name": key, "mime_prefix": RECORD}})
               for key in keys]
    return new_code_cell("glue(...)", outputs=outputs)


def solution(text: str, label: str = "ex-a") -> str:
    """A {solution} directive for the exercise ``label``."""
    return f"```{{solution}} {label}\n:class: dropdown\n{text}\n```"


def exercise(text: str, label: str = "ex-a") -> str:
    """An {exercise} directive labelled ``label``."""
    return f"```{{exercise}}\n:label: {label}\n{text}\n```"


def figure(head: str = "{glue:figure} fig", alt: str = ":alt: A line chart.",
           caption: str = "Loss per epoch.", fence: str = "```") -> str:
    """A figure directive, by default a {glue:figure} of the key ``fig``."""
    return f"{fence}{head}\n{alt}\n:name: fig-x\n\n{caption}\n{fence}"


# ------------------------------------------------------- repeated cells

def test_a_paragraph_pasted_twice_is_flagged_even_with_other_line_breaks():
    nb = notebook(md("Read the last\ntwo columns."), code(),
                  md("Read the last two\ncolumns. "))
    assert chapter_lint.repeated_cells(nb, PATH) == [
        "x.ipynb [cell 2]: repeats cell 0 verbatim"]


def test_paragraphs_that_differ_in_one_word_are_not_flagged():
    nb = notebook(md("Read the last two columns."), code(),
                  md("Read the first two columns."))
    assert chapter_lint.repeated_cells(nb, PATH) == []


def test_empty_markdown_cells_are_not_flagged_as_repeats():
    assert chapter_lint.repeated_cells(notebook(md(""), md("  \n")), PATH) == []


# ------------------------------------------------------- dangling colons

def test_a_colon_paragraph_followed_by_a_heading_is_flagged():
    nb = notebook(md("The sweep compares them with `ps=0.5`:"), md("## The sweep"))
    assert chapter_lint.dangling_colons(nb, PATH) == [
        "x.ipynb [cell 0]: ends with ':' but the next cell is markdown, not code"]


def test_a_colon_paragraph_followed_by_code_is_not_flagged():
    nb = notebook(md("The sweep compares them with `ps=0.5`:"), code(),
                  md("## The sweep"))
    assert chapter_lint.dangling_colons(nb, PATH) == []


def test_a_colon_paragraph_that_ends_the_notebook_is_flagged():
    nb = notebook(code(), md("The next chapter shows:\n"))
    assert chapter_lint.dangling_colons(nb, PATH) == [
        "x.ipynb [cell 1]: ends with ':' but it is the last cell, not code"]


def test_a_colon_inside_a_paragraph_is_not_flagged():
    nb = notebook(md("Two causes: (a) and (b)."), md("## Next"))
    assert chapter_lint.dangling_colons(nb, PATH) == []


# ------------------------------------------------------- glue keys

USES_EVERY_FORM = ("Loss {glue:text}`loss:.3f`, {glue}`n`, {glue:md}`verdict`, "
                   "{glue:any}`any`.\n\n```{glue:math} eq\n:label: eq-x\n```\n\n"
                   + figure() + "\n\n" + figure("{glue:figure} fig2", fence=":::"))
USED = ("loss", "n", "verdict", "any", "eq", "fig")


def test_glue_keys_stored_and_used_in_every_form_are_not_flagged():
    nb = notebook(glued(*USED, "fig2"), md(USES_EVERY_FORM))
    assert chapter_lint.glue_keys(nb, PATH) == []


def test_a_glue_key_used_but_never_stored_is_flagged():
    nb = notebook(glued(*USED), md(USES_EVERY_FORM))
    assert chapter_lint.glue_keys(nb, PATH) == [
        "x.ipynb [cell 1]: glue key 'fig2' is used, no cell stores it"]


def test_a_glue_key_stored_but_never_used_is_flagged():
    nb = notebook(glued(*USED, "fig2", "spare"),
                  md(USES_EVERY_FORM))
    assert chapter_lint.glue_keys(nb, PATH) == [
        "x.ipynb [cell 0]: glue key 'spare' is stored but never used"]


def test_a_student_edition_is_not_checked_for_glue_keys():
    nb = notebook(glued("spare"), md("Loss 0.5."))
    nb.metadata["lecnotes"] = {"edition": "student"}
    assert chapter_lint.glue_keys(nb, PATH) == []


# ------------------------------------------------------- figures

def test_figures_and_images_with_alt_text_and_captions_are_not_flagged():
    text = figure() + '\n\n![A cat.](cat.png) and <img src="dog.png" alt="A dog.">'
    assert chapter_lint.figures_without_text(notebook(md(text)), PATH) == []


def test_a_glued_figure_without_alt_text_is_flagged():
    nb = notebook(md(figure(alt=":alt:  ")))
    assert chapter_lint.figures_without_text(nb, PATH) == [
        "x.ipynb [cell 0]: {glue:figure} fig has no :alt: text"]


def test_a_figure_without_a_caption_is_flagged():
    nb = notebook(md(figure("{figure} a.png", caption="")))
    assert chapter_lint.figures_without_text(nb, PATH) == [
        "x.ipynb [cell 0]: {figure} a.png has no caption"]


def test_a_figure_nested_in_another_directive_is_checked_too():
    text = f"````{{admonition}} Note\n{figure(alt=':alt:')}\n````"
    assert chapter_lint.figures_without_text(notebook(md(text)), PATH) == [
        "x.ipynb [cell 0]: {glue:figure} fig has no :alt: text"]


def test_a_markdown_image_with_empty_alt_text_is_flagged():
    nb = notebook(md("![ ](cat.png)"))
    assert chapter_lint.figures_without_text(nb, PATH) == [
        "x.ipynb [cell 0]: an image ![](...) has no alt text"]


def test_an_img_tag_without_alt_text_is_flagged():
    nb = notebook(md('<img src="dog.png" alt="">'))
    assert chapter_lint.figures_without_text(nb, PATH) == [
        'x.ipynb [cell 0]: <img src="dog.png" alt=""> has no alt text']


# ------------------------------------------------------- numbers in solutions

def test_a_solution_number_no_cell_computes_is_flagged():
    nb = notebook(code("print(512 * 0.01)", "5.12"),
                  md(solution("About 0.512 survive.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == [
        "x.ipynb [cell 1]: solution ex-a states 0.512, which no cell computes"]


def test_a_solution_number_a_cell_prints_is_not_flagged():
    nb = notebook(code("print(512 * 0.001)", "0.512"),
                  md(solution("About 0.512 survive.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == []


def test_a_number_matches_a_value_that_rounds_to_its_digits():
    nb = notebook(code("print(1 / 0.75, 0.3123)", "1.3333333333333333 0.3123"),
                  md(solution("About 1.33, that is 31.2%, and 16,384 of them.")),
                  code("n = 16_384"))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == []


def test_a_number_with_one_significant_digit_needs_an_equal_value():
    nb = notebook(code("print(0.25 * 0.25)", "0.0625"),
                  md(solution("So about 6%, or 0.06.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == [
        "x.ipynb [cell 1]: solution ex-a states 6%, which no cell computes",
        "x.ipynb [cell 1]: solution ex-a states 0.06, which no cell computes"]


def test_a_percentage_matches_the_fraction_it_shows():
    nb = notebook(code("p = 0.25"), md(solution("About 25% are dropped.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == []


def test_numbers_in_roles_labels_links_and_names_are_not_read():
    text = ("See {doc}`04_averaging`, {numref}`fig-ch3-loss`, [a](bench/v2.json), "
            "resnet50, ch3-ex-07 and {glue:text}`ch3_p99_acc:.1%`.\n"
            "1. A list item.")
    nb = notebook(code(), md(solution(text, label="ch3-ex-hidden")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == []


def test_a_number_the_exercise_states_is_not_flagged_in_its_solution():
    nb = notebook(code(), md(exercise("Change `c = 2.0` to `c = 3.0`.") + "\n\n"
                             + solution("With c = 3 the variance is 3 x 3 = 9.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == [
        "x.ipynb [cell 1]: solution ex-a states 9, which no cell computes"]


def test_a_number_another_exercise_states_does_not_count():
    nb = notebook(code(), md(exercise("Try p = 0.8.", label="ex-b") + "\n\n"
                             + solution("Keep p = 0.8.")))
    assert chapter_lint.uncomputed_numbers(nb, PATH) == [
        "x.ipynb [cell 1]: solution ex-a states 0.8, which no cell computes"]


# ------------------------------------------------------- the command and the book

def test_main_prints_the_findings_and_exits_1_when_there_are_any(tmp_path, capsys):
    path = tmp_path / "bad.ipynb"
    nbformat.write(notebook(md("Same."), md("Same.")), path)
    assert chapter_lint.main([str(path)]) == 1
    assert capsys.readouterr().out == f"{path} [cell 1]: repeats cell 0 verbatim\n"


def test_main_exits_0_on_a_clean_notebook(tmp_path, capsys):
    path = tmp_path / "good.ipynb"
    nbformat.write(notebook(md("Look:"), code()), path)
    assert chapter_lint.main([str(path)]) == 0
    assert capsys.readouterr().out == "chapter lint: no findings\n"


def test_the_lint_reads_the_chapters_and_editions_but_not_the_assignments():
    names = {p.relative_to(chapter_lint.ROOT).as_posix() for p in chapter_lint.CHAPTERS}
    assert {"chapters/how_fast.ipynb", "chapters/full_size.ipynb"} <= names
    assert not [name for name in names if "assignments" in name]
    assert len(chapter_lint.EDITIONS) >= 5


def test_the_book_has_no_findings():
    findings = chapter_lint.lint(chapter_lint.CHAPTERS + chapter_lint.EDITIONS)
    assert not findings, "\n".join(findings)
