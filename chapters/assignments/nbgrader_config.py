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

# Every assignment runs in well under a minute on a 2-core laptop; a single cell that takes
# longer than this is stuck (or on a badly overloaded hub node) and is stopped with an error.
c.Execute.timeout = 300

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
