"""nbgrader settings of the instructor alone: where the course folder is.

The instructor's copy of the book lives in their home folder (a clone, or what the launch
button's nbgitpuller made there); its ``chapters/assignments`` is the course. The Formgrader
runs in the instructor's server, whose working folder is the home folder, so it needs this.
"""

import os

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.CourseDirectory.root = os.path.expanduser("~/lesson4-annotated/chapters/assignments")
