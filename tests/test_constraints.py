"""constraints.txt: the pins that hold a measured reason, checked against what is installed."""

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"


def pinned(name: str) -> str:
    """The version constraints.txt pins ``name`` to (``name==VERSION``)."""
    match = re.search(rf"^{re.escape(name)}==(\S+)", CONSTRAINTS.read_text(encoding="utf-8"), re.M)
    assert match, f"constraints.txt does not pin {name}"
    return match.group(1)


def test_the_pinned_jsonschema_is_installed_and_does_not_ask_for_rfc3987_syntax():
    assert metadata.version("jsonschema") == pinned("jsonschema")
    wanted = [Requirement(line).name for line in metadata.requires("jsonschema") or []]
    assert "rfc3987-syntax" not in wanted, (
        "this jsonschema asks for rfc3987-syntax (with the format-nongpl extra that jupyter-events "
        "uses), which costs 3 s of start-up in every process that imports nbformat")


def test_importing_nbformat_does_not_build_the_iri_grammar():
    import nbformat  # noqa: F401  (nbval imported it already; jsonschema comes with it)

    assert "rfc3987_syntax" not in sys.modules, (
        "jsonschema imported rfc3987_syntax, which builds a lark grammar (3 s) in every process "
        "that reads a notebook. A venv made before constraints.txt pinned jsonschema still has it: "
        "`.venv/bin/pip uninstall rfc3987-syntax`, or delete .venv and run `make setup`.")
