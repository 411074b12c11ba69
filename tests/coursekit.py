"""The course folder and the ``nbgrader`` command, for the assignment tests and the
grading benchmark alike.

Both grade in a temporary copy of ``chapters/assignments`` made by :func:`copy_course`,
with nbgrader and its kernels in :func:`grading_env`, so ``make bench-grading`` measures
the same kind of course folder that ``tests/test_assignments.py`` checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kernelenv import kernel_env

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "chapters" / "assignments"
ASSIGNMENTS = ("a1_custom_head", "a2_dropout", "a3_choosing_p", "a4_averaging",
               "a5_xtra_fc")
BIN = Path(sys.executable).parent
# What nbgrader writes next to source/, and the instructor page: never copied.
NBGRADER_OUTPUTS = ("release", "submitted", "autograded", "feedback", "gradebook.db",
                    ".nbgrader.log")


def grading_env() -> dict[str, str]:
    """The environment of nbgrader and its kernels: :func:`kernelenv.kernel_env`, PATH.

    The venv's bin folder goes first on PATH because nbgrader runs the ``alembic``
    command when it creates a gradebook.
    """
    env = kernel_env()
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def copy_course(dest: str | Path) -> Path:
    """Copy the course (``source/``, ``nbgrader_config.py``) to ``dest``; return it.

    nbgrader's own outputs (release, submissions, gradebook), the instructor page and
    the class hub's configuration (``hub/``, which runs a hub rather than grading)
    stay behind, so the copy is the course as a fresh clone holds it. The copy's
    ``nbgrader_config.py`` sets the course root to the copy's folder.

    Raises:
        FileExistsError: ``dest`` exists already.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     course = copy_course(Path(tmp) / "assignments")
        ...     sorted(p.name for p in course.iterdir())
        ['nbgrader_config.py', 'source']
    """
    dest = Path(dest)
    shutil.copytree(COURSE, dest, ignore=shutil.ignore_patterns(
        *NBGRADER_OUTPUTS, "hub", ".ipynb_checkpoints", "__pycache__", "*.md"))
    return dest


def nbgrader(course: Path, *args: str, allowed_errors: tuple[str, ...] = ()) -> str:
    """Run ``nbgrader *args`` in the course folder and return its log.

    Args:
        course: the course folder (nbgrader reads its ``nbgrader_config.py``).
        args: the command and its arguments, e.g. ``"autograde", "a2_dropout"``.
        allowed_errors: texts of error lines that are expected (say, a cell stopped by
            the timeout); any other error line fails the run.

    Returns:
        What nbgrader wrote to stdout and stderr.

    Raises:
        RuntimeError: nbgrader exited with an error code or logged an error it was not
            allowed to; the message holds the end of its log.
    """
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=grading_env(),
                          capture_output=True, text=True, timeout=1800)
    log = done.stdout + done.stderr
    errors = [line for line in log.splitlines()
              if ("[ERROR]" in line or "| ERROR]" in line)
              and not any(text in line for text in allowed_errors)]
    if done.returncode != 0 or errors:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed (exit code "
                           f"{done.returncode}, errors {errors[:3]}):\n{log[-5000:]}")
    return log
