"""pytest set-up shared by the unit tests, the doctests and nbval's notebook kernels.

Kernels started by nbval inherit this process's environment, so it is fixed here, before
any kernel starts: no progress bars in compared outputs, and no MPLBACKEND (with it set, a
kernel draws no figures and every figure cell fails).
"""

import os

os.environ["LECNOTES_PROGRESS"] = "0"
os.environ.pop("MPLBACKEND", None)
