"""The course assignments (``chapters/assignments``), graded by the real nbgrader, through its exchange.

Everything happens in a temporary copy of the course folder, with nbgrader's own gradebook
database there and a temporary exchange folder (``--Exchange.root``), as a class on one shared
disk runs it (instructors.md):

* ``nbgrader generate_assignment`` makes the student release (the command of ``make
  assignments``); the released notebooks must hold no solution text and no hidden tests;
  ``nbgrader release_assignment`` puts all five into the exchange;
* three students, each with a home folder and an ``nbgrader_config.py`` of their own that names
  the exchange, ``nbgrader fetch_assignment`` all five and ``nbgrader submit`` one kind of
  submission each (``--student`` gives their id):
  - ``solution`` hands in the source notebook itself: every cell runs without an error or a
    word on stderr (the solution passes all its tests, hidden ones included) and it gets full
    marks on every autograded cell;
  - ``blank`` hands in the fetched release unchanged: zero on every code task;
  - ``partial`` hands in a partly right version: partial marks, cell by cell as expected;
* the instructor runs ``nbgrader collect`` and ``nbgrader autograde`` (each submission in a
  fresh kernel, hidden tests put back), reads the scores from the gradebook, then
  ``nbgrader generate_feedback`` and ``release_feedback``; each student ``fetch_feedback``s a
  page that shows their own score;
* on the cheapest assignment, ``a1_custom_head``, two more cases as nbgrader documents them:
  - ``late`` hands in the partly right version on time, then the solution again after the due
    date (set in the gradebook with ``nbgrader db assignment add --duedate``): ``collect`` keeps
    the first until it is run with ``--update``, which takes the latest; that one is graded,
    flagged late, and with ``LateSubmissionPlugin.penalty_method = 'zero'`` it scores zero;
  - ``stuck`` hands in an answer cell that never ends (a ``while True`` loop): the cell timeout
    (``Execute.timeout``, short in this test) stops it, and the rest of the notebook is graded.

``nbgrader autograde`` runs as a command, once for every submission of all five assignments
(one more for ``stuck``, with the short timeout); the source notebooks are executed once, by the
autograder. ``generate_assignment`` and the exchange commands (release, fetch, submit, collect,
feedback) run in this process through nbgrader's own command-line application, exactly as the
``nbgrader`` command runs them, with the student's home folder as ``HOME`` and current folder:
each would otherwise start a Python of its own, for a second or more, some forty times. Kernels
get the environment of ``tests/kernelenv.py``, as every kernel of the book.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from coursekit import ASSIGNMENTS, COURSE, copy_course, grading_env, nbgrader

pytestmark = pytest.mark.long  # nbgrader grades every kind of submission: minutes

STUDENTS = ["solution", "blank", "partial"]  # hand in every assignment
CHEAPEST = "a1_custom_head"  # the quickest to grade: the late and the endless submissions use it
LATE, STUCK = "late", "stuck"
# Long enough for a1's slowest cell (its set-up imports torch and runs the body: about 5 s on 2
# busy cores), short enough that the endless cell costs little. The course's own is far longer.
SHORT_TIMEOUT_S = 20

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def source_path(course: Path, assignment: str) -> Path:
    return course / "source" / assignment / f"{assignment}.ipynb"


def release_path(course: Path, assignment: str) -> Path:
    return course / "release" / assignment / f"{assignment}.ipynb"


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def nbgrader_here(folder: Path, *args: str, home: Path | None = None) -> str:
    """Run ``nbgrader *args`` in this process, as the command would in ``folder`` with ``HOME=home``.

    nbgrader's command-line application (what the ``nbgrader`` command starts) parses the
    arguments, reads the ``nbgrader_config.py`` files of the Jupyter config path (``~/.jupyter``
    among them) and of the current folder, and runs the subcommand; afterwards it is reset, as
    nbgrader's own tests do between commands. Jupyter's folder variables are removed so that
    ``HOME`` alone decides where a student's config and submission cache live.

    Returns:
        nbgrader's log. The test fails with that log if the command exits with an error code or
        logs an error.
    """
    from jupyter_core.application import NoStart
    from nbgrader.apps import NbGraderApp

    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("PATH", grading_env()["PATH"])  # the venv's commands (alembic) first
        if home is not None:
            mp.setenv("HOME", str(home))
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_DATA_DIR", "JUPYTER_PATH"):
            mp.delenv(name, raising=False)
        mp.setattr(sys, "path", list(sys.path))  # nbgrader puts the current folder on sys.path
        app = NbGraderApp.instance()
        code = 0
        try:
            app.initialize(list(args))
            app.init_logging(logging.StreamHandler, [buffer], color=False, subapps=True)
            app.start()
        except NoStart:  # how Jupyter's application says its subcommand has finished
            pass
        except SystemExit as exc:  # nbgrader's way out of a failed command
            code = exc.code
        finally:
            app.reset()
    log = buffer.getvalue()
    assert not code and "| ERROR]" not in log, (
        f"`nbgrader {' '.join(args)}` in {folder} failed (exit code {code}):\n{log[-5000:]}")
    return log


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
    # epochs) misses the bound; the long run without dropout overfits and misses its bound.
    "a3_choosing_p": {
        "a3-sweep": "same",
        "a3-best": "same",
        "a3-choice": "P, EPOCHS = 0.9, 3",
        "a3-long": "P_LONG = 0.0",
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
# The endless submission of a1: Task 1's answer never ends; Tasks 2 and 3 are right.
# It waits rather than spins: a busy loop would take a core from pytest's other worker for the
# whole timeout, and nbclient stops both the same way (it interrupts the kernel).
ENDLESS = {"a1-concat-pool": "import time\nwhile True:  # never ends\n    time.sleep(0.05)",
           "a1-shape-changes": "same", "a1-param-count": "same"}


def read_scores(course: Path, assignment: str, student: str) -> dict[str, dict]:
    """Per graded cell: auto score, max score, whether it waits for a human, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="lesson4") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: {"auto": g.auto_score, "max": g.max_score, "manual": g.needs_manual_grade,
                         "type": g.cell_type} for g in notebook.grades}


def read_submission(course: Path, assignment: str, student: str) -> dict:
    """A submission's totals from the gradebook: score, max, seconds late, late penalty."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="lesson4") as gb:
        sub = gb.find_submission(assignment, student)
        return {"score": sub.score, "max": sub.max_score, "seconds_late": sub.total_seconds_late,
                "penalty": sub.late_submission_penalty}


# --- the class: the exchange, the students' home folders --------------------------------------


@dataclass
class Classroom:
    """The temporary exchange and home folders of one test module, and what happened there."""

    course: Path
    exchange: Path
    homes: Path
    # facts recorded along the way (the timestamps of the late student's submissions...)
    seen: dict = field(default_factory=dict)

    def home(self, student: str) -> Path:
        """A student's home folder; its ``nbgrader_config.py`` names the course and the exchange
        (what an administrator puts in a system-wide config on a hub)."""
        home = self.homes / student
        if not home.is_dir():
            home.mkdir(parents=True)
            (home / "nbgrader_config.py").write_text(
                f'c = get_config()\nc.CourseDirectory.course_id = "lesson4"\n'
                f'c.Exchange.root = "{self.exchange}"\n')
        return home

    def student(self, student: str, *args: str) -> str:
        """``nbgrader *args`` as the student runs it, in their home folder."""
        home = self.home(student)
        return nbgrader_here(home, *args, home=home)

    def instructor(self, *args: str) -> str:
        """``nbgrader *args`` as the instructor runs it, in the course folder, on the exchange.

        One user plays every student here, so ``collect``'s check that a submission belongs to
        the user it names is off (on a hub each student's files are their own).
        """
        extra = ["--ExchangeCollect.check_owner=False"] if args[0] == "collect" else []
        return nbgrader_here(self.course, *args, f"--Exchange.root={self.exchange}", *extra)

    def hand_in(self, student: str, assignment: str, notebook: nbformat.NotebookNode | None) -> str:
        """Save ``notebook`` over the student's fetched copy (None: leave it as fetched) and submit
        it; returns the submission's timestamp."""
        if notebook is not None:
            nbformat.write(notebook, self.fetched(student, assignment))
        self.student(student, "submit", assignment, f"--student={student}")
        inbound = self.exchange / "lesson4" / "inbound"
        stamps = [p.name.split("+")[2] for p in inbound.glob(f"{student}+{assignment}+*")]
        return max(stamps)  # nbgrader's timestamps sort as text in time order

    def fetched(self, student: str, assignment: str) -> Path:
        return self.home(student) / assignment / f"{assignment}.ipynb"

    def feedback(self, student: str, assignment: str) -> list[Path]:
        """The feedback pages the student has fetched for an assignment."""
        return sorted((self.home(student) / assignment / "feedback").glob(f"*/{assignment}.html"))


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


def utc_now() -> str:
    """Now, as ``nbgrader db assignment add --duedate`` reads a date."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of the course with the student release generated, as `make assignments` does."""
    root = copy_course(tmp_path_factory.mktemp("course") / "assignments")
    nbgrader_here(root, "generate_assignment", "*", "--force")
    return root


@pytest.fixture(scope="module")
def classroom(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Classroom:
    """An exchange folder writable by all, as nbgrader's documentation sets one up, with all five
    assignments released into it."""
    base = tmp_path_factory.mktemp("class")
    room = Classroom(course, base / "exchange", base / "home")
    room.exchange.mkdir()
    room.exchange.chmod(0o777)
    for assignment in ASSIGNMENTS:
        room.instructor("release_assignment", assignment)
    return room


@pytest.fixture(scope="module")
def autograded(classroom: Classroom) -> Classroom:
    """Every submission of every assignment, handed in through the exchange, collected, graded by
    one `nbgrader autograde` run, with feedback generated, released and fetched.

    Per assignment the three students of :data:`STUDENTS`; on :data:`CHEAPEST` also the late
    resubmission. One autograde run for all saves four starts of nbgrader.
    """
    room, course = classroom, classroom.course
    for student in STUDENTS:
        room.student(student, "fetch_assignment", *ASSIGNMENTS)
    room.student(LATE, "fetch_assignment", CHEAPEST)
    for assignment in ASSIGNMENTS:
        source = nbformat.read(source_path(course, assignment), as_version=4)
        fetched = nbformat.read(room.fetched("partial", assignment), as_version=4)
        partial = make_submission(fetched, source, PARTIAL[assignment])
        room.hand_in("solution", assignment, source)  # the instructor version itself: hidden tests and all
        room.hand_in("blank", assignment, None)       # the student version, handed in as fetched
        room.hand_in("partial", assignment, partial)
        if assignment == CHEAPEST:
            room.seen["late_first"] = room.hand_in(LATE, assignment, partial)
        room.instructor("collect", assignment)
    # The late student hands the solution in again, after the due date.
    nbgrader_here(course, "db", "assignment", "add", CHEAPEST, f"--duedate={utc_now()}")
    source = nbformat.read(source_path(course, CHEAPEST), as_version=4)
    room.seen["late_second"] = room.hand_in(LATE, CHEAPEST, source)
    room.seen["late_collect"] = room.instructor("collect", CHEAPEST)
    room.seen["late_kept"] = (course / "submitted" / LATE / CHEAPEST / "timestamp.txt").read_text()
    room.seen["late_update"] = room.instructor("collect", "--update", CHEAPEST)
    room.seen["late_collected"] = (course / "submitted" / LATE / CHEAPEST / "timestamp.txt").read_text()
    # nbgrader's predefined penalty: a late submission scores zero
    nbgrader(course, "autograde", "*", "--LateSubmissionPlugin.penalty_method=zero")
    nbgrader_here(course, "generate_feedback", "*")
    for assignment in ASSIGNMENTS:
        room.instructor("release_feedback", assignment)
    for student in STUDENTS:
        room.student(student, "fetch_feedback", *ASSIGNMENTS, f"--student={student}")
    room.student(LATE, "fetch_feedback", CHEAPEST, f"--student={LATE}")
    return room


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request: pytest.FixtureRequest, autograded: Classroom) -> dict:
    """One assignment's autograded submissions: scores from the gradebook, executed notebooks."""
    assignment, course = request.param, autograded.course
    return {
        "assignment": assignment,
        "scores": {s: read_scores(course, assignment, s) for s in STUDENTS},
        "autograded": {s: nbformat.read(course / "autograded" / s / assignment / f"{assignment}.ipynb",
                                        as_version=4) for s in STUDENTS},
    }


@pytest.fixture(scope="module")
def stuck(autograded: Classroom) -> dict:
    """A submission of :data:`CHEAPEST` whose first answer cell never ends, graded with a short
    cell timeout set on the command line; returns its scores, graded notebook and nbgrader's log."""
    room, course = autograded, autograded.course
    room.student(STUCK, "fetch_assignment", CHEAPEST)
    source = nbformat.read(source_path(course, CHEAPEST), as_version=4)
    fetched = nbformat.read(room.fetched(STUCK, CHEAPEST), as_version=4)
    room.hand_in(STUCK, CHEAPEST, make_submission(fetched, source, ENDLESS))
    room.instructor("collect", CHEAPEST, f"--student={STUCK}")
    # nbclient reports the stopped cell as an error in the log: that one is expected
    log = nbgrader(course, "autograde", CHEAPEST, f"--student={STUCK}",
                   f"--Execute.timeout={SHORT_TIMEOUT_S}",
                   allowed_errors=("Timeout waiting for execute reply", "Interrupting kernel"))
    notebook = course / "autograded" / STUCK / CHEAPEST / f"{CHEAPEST}.ipynb"
    return {"scores": read_scores(course, CHEAPEST, STUCK), "log": log,
            "notebook": nbformat.read(notebook, as_version=4)}


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


# --- the exchange round trip ------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_students_fetch_the_release_byte_for_byte(autograded: Classroom, assignment: str) -> None:
    # `blank` handed the fetched copy in untouched: it is still in their home folder
    fetched = autograded.fetched("blank", assignment)
    assert fetched.read_bytes() == release_path(autograded.course, assignment).read_bytes(), (
        f"{assignment}: the copy fetched from the exchange differs from the release")


def feedback_scores(page: str, assignment: str) -> tuple[tuple[float, float], dict[str, float]]:
    """From a feedback page: (score, max) of the notebook and the score of each test cell."""
    total = re.search(rf"<h4>{assignment} \(Score: ([\d.]+) / ([\d.]+)\)</h4>", page)
    assert total, f"{assignment}: no total score on the feedback page"
    cells = re.findall(r'<a href="#([\w-]+)">Test cell</a> \(Score: ([\d.]+) / [\d.]+\)', page)
    return (float(total[1]), float(total[2])), {name: float(score) for name, score in cells}


def test_each_student_fetches_feedback_with_their_own_score(graded: dict, autograded: Classroom) -> None:
    """`generate_feedback`, `release_feedback` and each student's `fetch_feedback`: one page per
    student, whose total and test-cell scores are that student's, as the gradebook has them."""
    assignment = graded["assignment"]
    expected = EXPECTED[assignment]
    top = sum(pts for pts, _ in expected.values()) + sum(MANUAL.get(assignment, {}).values())
    want = {"solution": {name: pts for name, (pts, _) in expected.items()},
            "blank": dict.fromkeys(expected, 0),
            "partial": {name: part for name, (_, part) in expected.items()}}
    for student in STUDENTS:
        pages = autograded.feedback(student, assignment)
        assert len(pages) == 1, f"{assignment}: {student} fetched {len(pages)} feedback pages, not one"
        (score, best), cells = feedback_scores(pages[0].read_text(encoding="utf-8"), assignment)
        assert cells == want[student], f"{assignment}: {student}'s feedback shows {cells}"
        # written answers count 0 until a human grades them
        assert (score, best) == (sum(want[student].values()), top), (
            f"{assignment}: {student}'s feedback shows {score:g} / {best:g}")
        gradebook = read_submission(autograded.course, assignment, student)
        assert (score, best) == (gradebook["score"], gradebook["max"])


def test_a_resubmission_is_collected_only_with_update(autograded: Classroom) -> None:
    """Both submissions stay in the exchange; `collect` never replaces a collected one, `collect
    --update` takes the latest, and the latest is what is graded."""
    seen = autograded.seen
    inbound = list((autograded.exchange / "lesson4" / "inbound").glob(f"{LATE}+{CHEAPEST}+*"))
    assert len(inbound) == 2, f"the exchange should hold both submissions of '{LATE}': {inbound}"
    assert seen["late_first"] < seen["late_second"]
    assert seen["late_kept"] == seen["late_first"] and "--update" in seen["late_collect"], (
        "collect without --update should keep the submission it has and say so")
    assert seen["late_collected"] == seen["late_second"], "collect --update should take the latest"
    scores = read_scores(autograded.course, CHEAPEST, LATE)
    got = {name: scores[name]["auto"] for name in EXPECTED[CHEAPEST]}
    assert got == {name: pts for name, (pts, _) in EXPECTED[CHEAPEST].items()}, (
        f"the latest submission (the solution) should be graded, not the first: {got}")


def test_a_late_submission_is_flagged_and_the_zero_penalty_applies(autograded: Classroom) -> None:
    course = autograded.course
    top = sum(pts for pts, _ in EXPECTED[CHEAPEST].values())
    late = read_submission(course, CHEAPEST, LATE)
    assert late["seconds_late"] > 0, f"the submission after the due date is not flagged late: {late}"
    assert late["score"] == top and late["penalty"] == top, (
        f"penalty_method 'zero' should take all {top} points of the late submission: {late}")
    for student in STUDENTS:  # handed in before the due date
        on_time = read_submission(course, CHEAPEST, student)
        assert on_time["seconds_late"] == 0 and on_time["penalty"] == 0, f"{student}: {on_time}"
    page = autograded.feedback(LATE, CHEAPEST)[-1].read_text(encoding="utf-8")
    assert f"Late submission penalty (Score: -{top:.1f})" in page
    assert feedback_scores(page, CHEAPEST)[0] == (0, top), "the late student's page should show 0"


def test_an_endless_cell_is_stopped_by_the_timeout_and_the_rest_is_graded(stuck: dict) -> None:
    scores, nb = stuck["scores"], stuck["notebook"]
    assert f"Timeout waiting for execute reply ({SHORT_TIMEOUT_S}s)" in stuck["log"]
    cells = {grade_id(c): c for c in nb.cells if c.cell_type == "code"}
    assert any(o.output_type == "error" for o in cells["a1-concat-pool"].outputs), (
        "the endless answer cell should end with an error")
    assert all(c.get("execution_count") for c in cells.values()), "a cell after the stopped one did not run"
    got = {name: scores[name]["auto"] for name in EXPECTED[CHEAPEST]}
    # Task 1 never finished: its tests fail; Tasks 2 and 3 are right and graded as usual
    assert got == {"a1-concat-pool-tests": 0, "a1-shape-changes-tests": 2, "a1-param-count-tests": 3}, got


def error_of(nb: nbformat.NotebookNode, gid: str) -> str:
    """'ename: evalue' of a cell's error output, or '' when it ran without one."""
    cell = next(c for c in nb.cells if grade_id(c) == gid)
    return next((f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"), "")


def test_a3_grading_runs_separate_right_from_plausibly_wrong(autograded: Classroom) -> None:
    """a3 grades on a short, fixed budget (two heads, at most 20 epochs): the bounds still pass the
    solution and fail an underfitting choice and a long run without dropout, for the reason the
    test states (a loss above the bound), not by accident."""
    folder = autograded.course / "autograded"
    right = nbformat.read(folder / "solution" / "a3_choosing_p" / "a3_choosing_p.ipynb", as_version=4)
    wrong = nbformat.read(folder / "partial" / "a3_choosing_p" / "a3_choosing_p.ipynb", as_version=4)
    for gid in ("a3-choice-tests", "a3-long-tests"):
        assert error_of(right, gid) == "", f"the solution fails {gid}: {error_of(right, gid)}"
    choice, long_run = error_of(wrong, "a3-choice-tests"), error_of(wrong, "a3-long-tests")
    assert choice.startswith("AssertionError: with P = 0.9 and 3 epochs") and "bound 0.45" in choice, choice
    assert long_run.startswith("AssertionError: with P_LONG = 0.0"), long_run
    assert "not below 0.475" in long_run, long_run


def load_config() -> object:
    """The course's nbgrader_config.py, read as nbgrader reads it."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()


def test_config_course_and_timeout() -> None:
    """The course id, and a cell timeout that a right answer never meets (a3's slowest cell takes
    seconds, so even a hub node ten times slower stays far below it) but that stops an endless
    cell within minutes, not hours."""
    config = load_config()
    assert config.CourseDirectory.course_id == "lesson4"
    assert Path(config.CourseDirectory.root) == COURSE
    timeout = config.Execute.timeout
    assert isinstance(timeout, int) and 60 <= timeout <= 300, f"Execute.timeout = {timeout!r}"
    assert SHORT_TIMEOUT_S < timeout, "the endless-cell test must shorten the course's timeout"
    # a graded kernel is stopped, not asked to exit: its teardown after importing torch is about
    # a second, a tenth of a3's grading (bench/grading.json)
    assert config.Execute.shutdown_kernel == "immediate"
