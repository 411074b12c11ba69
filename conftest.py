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

# The order in which pytest-xdist hands files to the workers (`--no-loadscope-reorder`).
# A file runs whole on one worker, so a long file handed out late runs alone at the end
# while the other workers wait. The long ones go first: the chapters whose run, as `make
# bench` last measured it on a quiet machine (bench/latest.json), takes LONG_CHAPTER_S or
# more, and the test modules marked `pytest.mark.long`, each where its cost lives. The
# rest keep pytest's order: the other chapters, then the tests, then the doctests.
LONG_CHAPTER_S = 30


def _long_chapters() -> set[str]:
    import json
    from pathlib import Path

    bench = Path(__file__).parent / "bench" / "latest.json"
    runs = json.loads(bench.read_text())["notebooks"] if bench.is_file() else {}
    return {f"{name}.ipynb" for name, run in runs.items() if run["seconds"] >= LONG_CHAPTER_S}


def pytest_collection_modifyitems(items):
    long_chapters = _long_chapters()

    def long(item) -> bool:
        return item.path.name in long_chapters or item.get_closest_marker("long") is not None

    items.sort(key=lambda item: not long(item))  # stable: each group keeps pytest's order


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
