"""The course assignments (``chapters/assignments``), graded by the real nbgrader.

Everything happens in a temporary copy of the course folder, with nbgrader's own gradebook
database there, exactly as an instructor would run it:

* ``nbgrader generate_assignment`` makes the student release (the command of ``make
  assignments``); the released notebooks must hold no solution text and no hidden tests;
* three kinds of submission are autograded with ``nbgrader autograde`` (each in a fresh
  kernel, with the hidden tests put back) and their scores read back from the gradebook:
  - the source notebook itself, i.e. the solution: every cell runs without an error or a
    word on stderr (the solution passes all its tests, hidden ones included) and it gets full
    marks on every autograded cell;
  - the unmodified release: zero on every code task;
  - a partly right submission made from the release: partial marks, cell by cell as
    expected.

``nbgrader generate_assignment`` and ``nbgrader autograde`` each run once, for all five
assignments (module-scoped fixtures); the source notebooks are executed once, by the
autograder, not a second time. Kernels get
``LECNOTES_PROGRESS=0`` and no ``MPLBACKEND``, as in the Makefile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "chapters" / "assignments"
ASSIGNMENTS = ["a1_custom_head", "a2_dropout", "a3_choosing_p", "a4_averaging", "a5_xtra_fc"]
BIN = Path(sys.executable).parent
# nbgrader's folders and files created next to source/; never copied into the temporary course
NBGRADER_OUTPUTS = ("release", "submitted", "autograded", "feedback", "gradebook.db", ".nbgrader.log")

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def kernel_env() -> dict[str, str]:
    """The environment of nbgrader and its kernels: no progress bars, no MPLBACKEND.

    The venv's bin folder goes first on PATH because nbgrader runs the ``alembic`` command
    when it creates a gradebook. ``OMP_WAIT_POLICY=PASSIVE`` (unless set) keeps torch's two
    threads from spinning when the machine is busy; it does not change any result.
    """
    env = dict(os.environ)
    env["LECNOTES_PROGRESS"] = "0"
    env.pop("MPLBACKEND", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def nbgrader(course: Path, *args: str) -> str:
    """Run ``nbgrader *args`` in the course folder; fail with its log if it fails."""
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=kernel_env(),
                          capture_output=True, text=True, timeout=1800)
    log = done.stdout + done.stderr
    assert done.returncode == 0 and "[ERROR]" not in log and "| ERROR]" not in log, (
        f"`nbgrader {' '.join(args)}` failed (exit code {done.returncode}):\n{log[-5000:]}")
    return log


def source_path(course: Path, assignment: str) -> Path:
    return course / "source" / assignment / f"{assignment}.ipynb"


def release_path(course: Path, assignment: str) -> Path:
    return course / "release" / assignment / f"{assignment}.ipynb"


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


# --- the partly right submissions: grade_id of an answer cell -> what the student wrote ----------
# Cells not listed keep the release's stub (`raise NotImplementedError()`); the expected scores
# are per test cell.

PARTIAL = {
    # Task 1 left as released, Task 2 right (its grade must not depend on Task 1), Task 3 counts
    # BatchNorm's running statistics as parameters.
    "a1_custom_head": {
        "a1-shape-changes": "same",
        "a1-param-count": '''
            def head_param_count(n_features, n_classes, xtra_fc):
                sizes = [n_features, *xtra_fc, n_classes]
                return sum(4 * a + a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        ''',
    },
    # Dropout that forgets to rescale the survivors; the layer is right.
    "a2_dropout": {
        "a2-my-dropout": '''
            def my_dropout(x, p, training=True):
                if not 0 <= p < 1:
                    raise ValueError(f"p must be in [0, 1), got {p}")
                if not training or p == 0:
                    return x
                return x * (torch.rand(x.shape) >= p)
        ''',
        "a2-module": "same",
    },
    # The sweep and its minimum right; a choice that underfits (too much dropout, too few
    # epochs) misses the bound; the long run left as released.
    "a3_choosing_p": {
        "a3-sweep": "same",
        "a3-best": "same",
        "a3-choice": "P, EPOCHS = 0.9, 3",
    },
    # The formulas are right except the variance without rescaling; the measurement is right.
    "a4_averaging": {
        "a4-explain": "Dropout keeps the average the same.",
        "a4-inverted": "same",
        "a4-plain": '''
            def plain_moments(a, p):
                return float((1 - p) * a), float(a * a * p)
        ''',
        "a4-measured": "same",
    },
    # One of the two tasks solved: resolve_ps, not build_head.
    "a5_xtra_fc": {"a5-resolve-ps": "same"},
}

# Autograded score of each test cell: (solution, partial submission)
EXPECTED = {
    "a1_custom_head": {"a1-concat-pool-tests": (3, 0), "a1-shape-changes-tests": (2, 2),
                       "a1-param-count-tests": (3, 0)},
    "a2_dropout": {"a2-zeros-tests": (2, 2), "a2-scale-tests": (2, 0), "a2-eval-tests": (1, 1),
                   "a2-module-tests": (1, 1)},
    "a3_choosing_p": {"a3-sweep-tests": (2, 2), "a3-best-tests": (1, 1), "a3-choice-tests": (3, 0),
                      "a3-long-tests": (2, 0)},
    "a4_averaging": {"a4-inverted-tests": (2, 2), "a4-plain-tests": (1, 0), "a4-measured-tests": (2, 2)},
    "a5_xtra_fc": {"a5-resolve-ps-tests": (2, 2), "a5-build-head-tests": (3, 0)},
}
MANUAL = {"a4_averaging": {"a4-explain": 3}}  # manually graded answers: points


def make_submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
                    answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release with the listed answer cells filled in ("same": the solution's own code)."""
    solutions = {grade_id(c): c.source for c in source.cells if is_solution(c)}
    sub = nbformat.from_dict(release)
    for cell in sub.cells:
        gid = grade_id(cell)
        if gid in answers:
            text = answers[gid]
            cell.source = solutions[gid] if text == "same" else textwrap.dedent(text).strip()
    return sub


def read_scores(course: Path, assignment: str, student: str) -> dict[str, dict]:
    """Per graded cell: auto score, max score, whether it waits for a human, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="lesson4") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: {"auto": g.auto_score, "max": g.max_score, "manual": g.needs_manual_grade,
                         "type": g.cell_type} for g in notebook.grades}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of the course with the student release generated, as `make assignments` does."""
    root = tmp_path_factory.mktemp("course") / "assignments"
    shutil.copytree(COURSE, root, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUTS, ".ipynb_checkpoints",
                                                                "__pycache__", "*.md"))
    nbgrader(root, "generate_assignment", "*", "--force")
    return root


@pytest.fixture(scope="module")
def autograded(course: Path) -> dict[str, list[str]]:
    """Every submission of every assignment, autograded by one `nbgrader autograde` run.

    Per assignment: the source notebook itself (the solution), the release unchanged (blank) and
    a partly right submission made from the release (:data:`PARTIAL`). Returns the students of
    each assignment. One run for all five saves four starts of nbgrader.
    """
    students = {}
    for assignment in ASSIGNMENTS:
        release = nbformat.read(release_path(course, assignment), as_version=4)
        source = nbformat.read(source_path(course, assignment), as_version=4)
        submissions = {
            "solution": source,  # the instructor version itself: solutions, hidden tests and all
            "blank": release,    # the student version, handed in unchanged
            "partial": make_submission(release, source, PARTIAL[assignment]),
        }
        for student, notebook in submissions.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{assignment}.ipynb")
        students[assignment] = list(submissions)
    nbgrader(course, "autograde", "*")
    return students


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request: pytest.FixtureRequest, course: Path, autograded: dict[str, list[str]]) -> dict:
    """One assignment's autograded submissions: scores from the gradebook, executed notebooks."""
    assignment = request.param
    students = autograded[assignment]
    return {
        "assignment": assignment,
        "scores": {s: read_scores(course, assignment, s) for s in students},
        "autograded": {s: nbformat.read(course / "autograded" / s / assignment / f"{assignment}.ipynb",
                                        as_version=4) for s in students},
    }


def auto_total(scores: dict[str, dict]) -> tuple[float, float]:
    """(score, max) over the autograded test cells."""
    cells = [g for g in scores.values() if g["type"] == "code" and not g["manual"]]
    return sum(g["auto"] or 0 for g in cells), sum(g["max"] for g in cells)


# --- the release ------------------------------------------------------------------------------


def secret_lines(source: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """Lines that appear only inside solution regions, and only inside hidden tests, of the source."""
    inside = {"solution": set(), "hidden": set()}
    outside: set[str] = set()
    for cell in source.cells:
        if cell.cell_type == "markdown" and is_solution(cell):
            inside["solution"].update(line.strip() for line in cell.source.splitlines())
            continue
        region = None
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                region = "solution"
            elif "BEGIN HIDDEN TESTS" in line:
                region = "hidden"
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                region = None
            else:
                (inside[region] if region else outside).add(line.strip())
    keep = {k: {s for s in v - outside if len(s) >= 8} for k, v in inside.items()}
    return keep["solution"], keep["hidden"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_and_no_hidden_tests(course: Path, assignment: str) -> None:
    source = nbformat.read(source_path(course, assignment), as_version=4)
    release = nbformat.read(release_path(course, assignment), as_version=4)
    text = "\n".join(c.source for c in release.cells)
    for marker in MARKERS:
        assert marker not in text, f"{assignment}: the release still contains '{marker}'"
    solution_lines, hidden_lines = secret_lines(source)
    assert solution_lines and hidden_lines, f"{assignment}: the source should have solutions and hidden tests"
    released = {line.strip() for line in text.splitlines()}
    leaked = sorted(solution_lines & released)
    assert not leaked, f"{assignment}: solution text in the release: {leaked[:5]}"
    leaked = sorted(hidden_lines & released)
    assert not leaked, f"{assignment}: hidden tests in the release: {leaked[:5]}"
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code"), (
        f"{assignment}: the release should have no stored outputs")
    # what the student does get: a stub in every code answer, every visible test
    for src, rel in zip(source.cells, release.cells, strict=True):
        assert grade_id(src) == grade_id(rel)
        if is_solution(src) and src.cell_type == "code":
            assert "raise NotImplementedError()" in rel.source, f"{grade_id(rel)}: no stub in the release"
        if src.metadata.get("nbgrader", {}).get("grade") and src.cell_type == "code":
            visible = [ln for ln in rel.source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            assert visible, f"{grade_id(rel)}: the visible tests are missing"
        if is_solution(src) and src.cell_type == "markdown":
            assert rel.source.strip() == "YOUR ANSWER HERE", f"{grade_id(rel)}: the model answer leaked"


# --- the solutions ----------------------------------------------------------------------------


def test_source_notebook_passes_all_its_tests(graded: dict) -> None:
    """The instructor version, run top to bottom in a fresh kernel by `nbgrader autograde` (hidden
    tests included), raises no error and writes nothing to stderr in any cell."""
    nb = graded["autograded"]["solution"]
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code"), "a cell did not run"
    problems = [f"{grade_id(c)}: {o.ename}: {o.evalue}" if o.output_type == "error" else
                f"{grade_id(c)}: stderr: {o.text[:500]}"
                for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error" or o.get("name") == "stderr"]
    assert not problems, f"{graded['assignment']}: the solution fails its own tests:\n" + "\n".join(problems)


def test_solution_submission_gets_full_marks(graded: dict) -> None:
    assignment, scores = graded["assignment"], graded["scores"]["solution"]
    expected = EXPECTED[assignment]
    got = {name: s["auto"] for name, s in scores.items() if name in expected}
    assert got == {name: pts for name, (pts, _) in expected.items()}, (
        f"{assignment}: a submission equal to the solution scored {got}")
    score, top = auto_total(scores)
    assert score == top == sum(pts for pts, _ in expected.values())
    print(f"\n{assignment}: solution {score:g}/{top:g}", end="")


def test_blank_release_scores_zero(graded: dict) -> None:
    assignment, scores = graded["assignment"], graded["scores"]["blank"]
    score, top = auto_total(scores)
    assert top == sum(pts for pts, _ in EXPECTED[assignment].values())
    assert score == 0, f"{assignment}: the unmodified release scored {score} of {top}: {scores}"
    for name, points in MANUAL.get(assignment, {}).items():
        # an answer left as released is scored 0 by nbgrader without a human
        assert scores[name]["auto"] == 0 and not scores[name]["manual"] and scores[name]["max"] == points
    print(f"\n{assignment}: blank release {score:g}/{top:g}", end="")


def test_partial_submission_gets_partial_marks(graded: dict) -> None:
    assignment, scores = graded["assignment"], graded["scores"]
    expected = {name: part for name, (_, part) in EXPECTED[assignment].items()}
    got = {name: s["auto"] for name, s in scores["partial"].items() if name in expected}
    assert got == expected, f"{assignment}: the partly right submission scored {got}, expected {expected}"
    score, top = auto_total(scores["partial"])
    assert 0 < score < top, f"{assignment}: partial submission scored {score} of {top}"
    print(f"\n{assignment}: partial submission {score:g}/{top:g}", end="")


def test_written_answers_wait_for_a_human(graded: dict) -> None:
    assignment, scores = graded["assignment"], graded["scores"]
    manual = MANUAL.get(assignment, {})
    for student in ("solution", "partial"):
        for name, points in manual.items():
            grade = scores[student][name]
            assert grade["type"] == "markdown" and grade["manual"] and grade["auto"] is None, (
                f"{assignment}: the written answer {name} of '{student}' should wait for manual grading")
            assert grade["max"] == points
    # and no other cell does
    waiting = [n for n, g in scores["solution"].items() if g["manual"] and n not in manual]
    assert not waiting, f"{assignment}: cells wrongly waiting for manual grading: {waiting}"


def test_failures_explain_themselves(graded: dict) -> None:
    """A failed visible test says what is wrong in words, never a bare AssertionError."""
    nb = graded["autograded"].get("partial") or graded["autograded"]["blank"]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error" and out.ename == "AssertionError":
                assert len(out.evalue.strip()) > 20, (
                    f"{grade_id(cell)}: an assertion failed without a message: {out.evalue!r}")


def test_config_course_and_timeout() -> None:
    text = (COURSE / "nbgrader_config.py").read_text()
    assert re.search(r'course_id\s*=\s*"lesson4"', text)
    assert "c.Execute.timeout" in text
