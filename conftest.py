"""pytest set-up shared by the unit tests, the doctests and nbval's notebook kernels.

Kernels started by nbval inherit this process's environment, so it is fixed here, before
any kernel starts: no progress bars in compared outputs, and no MPLBACKEND (with it set, a
kernel draws no figures and every figure cell fails).
"""

import os

os.environ["LECNOTES_PROGRESS"] = "0"
os.environ.pop("MPLBACKEND", None)

# Left out of strict nbval: the full-size appendix needs internet (ImageNet weights and
# Oxford-IIIT Pet) and is meant for a GPU. tests/test_full_size.py runs it in smoke mode.
collect_ignore = ["chapters/full_size.ipynb"]
