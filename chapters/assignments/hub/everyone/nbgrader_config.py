"""nbgrader settings every user of the class hub reads: the course and the exchange.

The hub puts this folder on every user's ``JUPYTER_CONFIG_PATH`` (``jupyterhub_config.py``), so
the Assignment List, the Formgrader and the ``nbgrader`` command all find them.
"""

import os

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.CourseDirectory.course_id = "lesson4"
# The folder every user's server sees as the same one on disk; the hub passes its place.
c.Exchange.root = os.environ.get("LESSON4_EXCHANGE", "/usr/local/share/nbgrader/exchange")
