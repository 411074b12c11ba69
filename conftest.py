"""pytest set-up shared by the unit tests, the doctests and nbval's notebook kernels.

Kernels started by nbval inherit this process's environment, so it is fixed here, before
any kernel starts (tests/kernelenv.py says what and why). pytest's ``pythonpath``
setting (pyproject.toml) puts tests/ on the import path before this file is read.
"""

import os

import kernelenv

kernelenv.apply()

# With several pytest-xdist workers, each worker's kernels get a share of the cores
# (lecnotes.repro reads LECNOTES_THREADS), and idle OpenMP threads sleep instead of
# spinning: with the book's default of 2 threads in every kernel, workers on 2 cores
# slow each other down. Neither changes a compared output. How the workers share the
# suite is set in pyproject.toml (`--dist loadfile`: a notebook's cells share one
# kernel, so a file runs whole on one worker); the browser tests' one site build is
# shared through a file lock (tests/browser/conftest.py).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    for name, value in kernelenv.sharing(_WORKERS).items():  # before torch's OpenMP
        os.environ.setdefault(name, value)
    import torch

    torch.set_num_threads(int(os.environ["LECNOTES_THREADS"]))  # this worker's tests

# Left out of strict nbval: the full-size appendix needs internet (ImageNet weights and
# Oxford-IIIT Pet) and is meant for a GPU. tests/test_full_size.py runs it in smoke mode.
collect_ignore = ["chapters/full_size.ipynb"]

# Hypothesis (the property-based unit tests) keeps a cache folder of its own; in the repository
# pytest would try to collect it (pyproject's norecursedirs replaces pytest's default list), so
# it goes to the system's temporary folder. The tests use no example database and derandomized
# search, so every run tries the same examples. (A tests/conftest.py would clash with
# tests/browser/conftest.py: both import as the module "conftest".)
try:
    import tempfile
    from pathlib import Path

    from hypothesis.configuration import set_hypothesis_home_dir
except ImportError:  # the book's build and the students' route do not install Hypothesis
    pass
else:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "lecnotes-hypothesis")
