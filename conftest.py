"""pytest set-up shared by the unit tests, the doctests and nbval's notebook kernels.

Kernels started by nbval inherit this process's environment, so it is fixed here, before
any kernel starts (scripts/kernelenv.py says what and why). pytest's ``pythonpath`` setting
(pyproject.toml) puts scripts/ on the import path before this file is read.
"""

import kernelenv

kernelenv.apply()

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
