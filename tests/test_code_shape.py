"""The size rule of lecnotes (issue 24): no class over 150 lines and no function over 40,
docstrings included, so that each reads in one sitting. The rule is checked on the package
itself and, so that it can fail, on a module written to break it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lecnotes"
LIMITS = {ast.ClassDef: 150, ast.FunctionDef: 40, ast.AsyncFunctionDef: 40}


def too_long(source: str, where: str) -> list[str]:
    """Every class and function of ``source`` over its limit, as ``where:name (lines)``."""
    return [f"{where}:{node.name} ({node.end_lineno - node.lineno + 1} lines, at most "
            f"{LIMITS[type(node)]})"
            for node in ast.walk(ast.parse(source)) if type(node) in LIMITS
            and node.end_lineno - node.lineno + 1 > LIMITS[type(node)]]


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_no_lecnotes_class_is_over_150_lines_and_no_function_over_40(module):
    assert too_long((PACKAGE / module).read_text(encoding="utf-8"), module) == []


def test_the_rule_flags_a_long_function_class_and_method_but_not_one_of_exactly_40_lines():
    def lines(n: int, indent: str = "    ") -> str:
        return "\n".join(f"{indent}x{i} = {i}" for i in range(n))

    source = (f"def long():\n{lines(40)}\n\n"           # with its def line: 41 lines
              f"def exactly_40():\n{lines(39)}\n\n"
              f"class Big:\n{lines(150)}\n"               # 192 lines with its method
              f"    def method(self):\n{lines(40, ' ' * 8)}\n")
    assert [entry.split(" (")[0] for entry in too_long(source, "m.py")] == [
        "m.py:long", "m.py:Big", "m.py:method"]
