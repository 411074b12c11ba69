"""pytest set-up shared by the unit tests, the doctests and nbval's notebook kernels.

Kernels started by nbval inherit this process's environment, so it is fixed here, before
any kernel starts (tests/kernelenv.py says what and why). pytest's ``pythonpath``
setting (pyproject.toml) puts tests/ on the import path before this file is read.
"""

import os

import kernelenv
import pytest

kernelenv.apply()

# With several workers (`make test` runs one per CPU and one more), each worker's kernels get a share
# of the cores (lecnotes.repro reads LECNOTES_THREADS), and idle OpenMP threads sleep instead of
# spinning: with the book's default of 2 threads in every kernel, two workers on 2 cores ran
# the suite half again slower than one worker did. Neither changes a compared output.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    for name, value in kernelenv.sharing(_WORKERS).items():  # before torch starts OpenMP here
        os.environ.setdefault(name, value)
    import torch

    torch.set_num_threads(int(os.environ["LECNOTES_THREADS"]))  # the worker's own unit tests

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


# ---------------------------------------------------------------- workers (pytest-xdist)
# `make test` runs the suite on one worker per CPU and one more (`pytest -n 3` on 2 cores). A
# group below runs whole, in order, on one worker:
# * a notebook's cells share one kernel, so a notebook is one group (its file);
# * the browser tests share one site build, one server and one Chromium: one group;
# * every other file is a group of its own (module-scoped fixtures are built once).
# The scheduler is ours: xdist's `--dist loadgroup` (xdist_group marks) does not group anything
# under pytest 9.2 with xdist 3.8 (tested: three marked tests went to two workers).
# Groups start longest first, so that the last one to finish is a short one. Without xdist
# (plain `pytest`), only the order changes.
SLOW_FIRST = (
    "tests/test_assignments.py",
    "tests/browser/",
    "tests/test_colab_route.py",
    "chapters/bigger_body.ipynb",
    "chapters/03_choosing_p.ipynb",
    "chapters/05_xtra_fc.ipynb",
    "chapters/04_averaging.ipynb",
    "chapters/02_dropout.ipynb",
    "chapters/01_custom_head.ipynb",
)


def group(nodeid: str) -> str:
    """The group a test id runs in: ``tests/browser/`` for every browser test, else its file."""
    path = nodeid.split("::", 1)[0]
    return "tests/browser/" if path.startswith("tests/browser/") else path


def _rank(name: str) -> int:
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _rank(group(item.nodeid)))  # stable: the order inside a group stays


@pytest.hookimpl(optionalhook=True)  # an xdist hook: plain pytest runs without xdist too
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        """xdist's scope scheduler, with :func:`group` as the scope."""

        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    config.option.loadscopereorder = False  # keep our longest-first order, not "most tests first"
    return ByGroup(config, log)
