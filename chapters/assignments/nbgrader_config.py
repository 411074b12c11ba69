"""nbgrader configuration of the course "lesson4": the book's five autograded assignments.

This folder is the course root: ``source/<assignment>/`` holds the instructor versions (with
solutions and hidden tests); nbgrader writes ``release/``, ``submitted/``, ``autograded/``,
``feedback/`` and ``gradebook.db`` next to it (all git-ignored). See ``instructors.md``.

nbgrader reads this file when it runs in this folder (``cd chapters/assignments``); traitlets
defines ``get_config`` and ``__file__`` while it executes it.
"""

import os

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.CourseDirectory.course_id = "lesson4"
# The folder of this file, wherever the repository (or a copy of this folder) lives.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Seconds one cell may run while grading. Every assignment grades in about ten seconds on two
# cores, its slowest cell in a few; a cell still running after this is stuck (an endless loop in
# a submission, or a badly overloaded hub node) and is stopped with an error, the notebook's other
# cells are graded as usual. Longer than needed costs a class little; too short fails right answers.
c.Execute.timeout = 120

# Once a submission's last cell has run, stop its kernel at once instead of asking it to exit:
# every output is already in the notebook, and a kernel that has imported torch spends about a
# second tearing itself down: a tenth of a3's grading, a quarter of the other assignments'.
c.Execute.shutdown_kernel = "immediate"

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
