"""Settings for the unit tests' property-based tests (Hypothesis).

Hypothesis keeps a small cache of its own in a ``.hypothesis`` folder; left in the repository
it makes pytest warn about collecting it (``norecursedirs`` replaces pytest's default list), so
it goes to the system's temporary folder instead. The tests themselves use no example database
and a derandomized search, so every run tries the same examples.
"""

import tempfile
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "lecnotes-hypothesis")
