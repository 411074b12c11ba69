"""`make bench-grading`: what autograding the five assignments costs, per submission and per class.

For each assignment, in a temporary copy of the course folder, the real ``nbgrader autograde``
grades copies of the solution (the instructor version, hidden tests included: every cell runs in
full, so this is the dearest kind of submission; a blank one stops at its first error):

* **one grader process**: ``nbgrader autograde ASSIGNMENT --student='s*'`` grades ``--per-process``
  submissions one after the other; its wall time divided by their number is the figure *seconds
  per submission* (nbgrader's start-up, a few seconds, is shared among them, as in a class it is
  shared among all);
* **two grader processes**: two such commands (``--student='p*'`` and ``--student='q*'``, each
  with ``--per-process`` submissions) started at the same moment, as an instructor would split a
  class in two halves on a 2-core server; their common wall time divided by all their
  submissions is the figure *seconds per submission* with two processes. It is measured, not
  derived: the two processes share the cores, the disk and the gradebook.

A class of N students then costs N times each figure (``--class-size``, default 200). The
figures go to a table on stdout and to a JSON file (default ``bench/grading.json``). The goal is
at most 10 s per submission of every assignment with one process on 2 cores.

The course copy and the nbgrader command come from ``tests/coursekit.py``, which the
assignment tests use too, so both grade in the same kind of course folder.

Each figure is the median of ``--repeats`` runs (default 3), each on fresh submissions.

Usage: python bench/bench_grading.py [--out bench/grading.json] [--per-process 3]
                                     [--class-size 200] [--repeats 3] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The course helpers and the kernel environment are shared with the tests, in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from coursekit import (  # noqa: E402
    ASSIGNMENTS,
    BIN,
    ROOT,
    copy_course,
    grading_env,
    nbgrader,
)
from kernelenv import sharing  # noqa: E402

GOAL_S = 10.0  # seconds per submission, one grader process, 2 cores


def submit_solutions(course: Path, assignment: str, students: list[str]) -> None:
    """Put the solution notebook into ``submitted/<student>/<assignment>/`` for each student."""
    source = course / "source" / assignment / f"{assignment}.ipynb"
    for student in students:
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / source.name)


def autograde_seconds(course: Path, assignment: str, patterns: list[str]) -> float:
    """Wall time of ``nbgrader autograde`` started at once for each ``--student`` pattern.

    Each grader's kernels get their share of the cores (:func:`kernelenv.sharing`), as
    instructors.md advises for graders that run side by side.
    """
    env = {**grading_env(), **sharing(len(patterns))}
    start = time.perf_counter()
    procs = [subprocess.Popen([str(BIN / "nbgrader"), "autograde", assignment, f"--student={p}"],
                              cwd=course, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for p in patterns]
    logs = [proc.communicate()[0] for proc in procs]
    seconds = time.perf_counter() - start
    for proc, pattern, log in zip(procs, patterns, logs, strict=True):
        if proc.returncode != 0 or "| ERROR]" in log:
            raise SystemExit(f"bench_grading: `nbgrader autograde {assignment} --student={pattern}` "
                             f"failed, so no figures were written:\n{log[-3000:]}")
    return seconds


def bench_assignment(course: Path, assignment: str, per_process: int, class_size: int,
                     repeats: int) -> dict:
    """One assignment's figures: seconds per submission with one and with two grader processes.

    Each figure is the median of ``repeats`` runs, every run on submissions of its own: the
    same command on the same machine varies by a tenth or more from one run to the next.
    """
    ones, twos = [], []
    for r in range(repeats):
        names = {prefix: [f"r{r}{prefix}{i:02d}" for i in range(per_process)] for prefix in "spq"}
        for students in names.values():
            submit_solutions(course, assignment, students)
        ones.append(autograde_seconds(course, assignment, [f"r{r}s*"]) / per_process)
        twos.append(autograde_seconds(course, assignment, [f"r{r}p*", f"r{r}q*"])
                    / (2 * per_process))
    one, two = statistics.median(ones), statistics.median(twos)
    return {"s_per_submission_one_process": one, "s_per_submission_two_processes": two,
            "one_process_runs_s": ones, "two_processes_runs_s": twos,
            "class_one_process_min": class_size * one / 60,
            "class_two_processes_min": class_size * two / 60,
            "submissions_per_process": per_process, "repeats": repeats}


def table(rows: dict, class_size: int) -> str:
    """The figures as a fixed-width text table, one line per assignment."""
    head = (f"{'assignment':16s} {'1 process':>10s} {'2 processes':>12s}   "
            f"{f'class of {class_size}: 1 process':>27s} {'2 processes':>12s}   goal <= {GOAL_S:g} s")
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        one, two = r["s_per_submission_one_process"], r["s_per_submission_two_processes"]
        lines.append(f"{name:16s} {one:8.1f} s {two:10.1f} s   {r['class_one_process_min']:23.0f} min "
                     f"{r['class_two_processes_min']:8.0f} min   {'met' if one <= GOAL_S else 'MISSED'}")
    total_one = sum(r["class_one_process_min"] for r in rows.values())
    total_two = sum(r["class_two_processes_min"] for r in rows.values())
    lines.append(f"{'all five':16s} {'':10s} {'':12s}   {total_one:23.0f} min {total_two:8.0f} min")
    lines.append("seconds per submission of the solution, the dearest kind (wall time / submissions),"
                 " the median of the runs")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS),
                        help="assignments to measure (default: all five)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "grading.json"))
    parser.add_argument("--per-process", type=int, default=3,
                        help="submissions each grader process grades (default 3)")
    parser.add_argument("--class-size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each measurement; the figure is their median (default 3)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.assignments) - set(ASSIGNMENTS))
    if unknown:
        parser.error(f"unknown assignments {unknown}; the course has {list(ASSIGNMENTS)}")
    if min(args.per_process, args.class_size, args.repeats) < 1:
        parser.error(f"--per-process, --class-size and --repeats must be at least 1, got "
                     f"{args.per_process}, {args.class_size} and {args.repeats}")
    from bench import machine, progress  # bench.py: the machine, described the same way

    rows = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(Path(tmp) / "assignments")
        nbgrader(course, "generate_assignment", "*", "--force")
        for assignment in args.assignments:
            rows[assignment] = row = bench_assignment(course, assignment, args.per_process,
                                                      args.class_size, args.repeats)
            progress(f"{assignment}: {row['s_per_submission_one_process']:.1f} s per submission")
    results = {"date": datetime.date.today().isoformat(), "class_size": args.class_size,
               "goal_s_per_submission": GOAL_S, "assignments": rows, "machine": machine(),
               "bench_total_s": time.perf_counter() - start}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"{table(rows, args.class_size)}\n(also in {args.out})")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
