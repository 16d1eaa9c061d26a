"""Every problem code and fact the compute stage writes has a Danish heading in the report.

A code without one shows as its machine key ('partial_extract') in the text a ministry
employee reads; this finds every literal code passed to the report in compute/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import danmarkskort.compute as compute
from danmarkskort.compute.report import _FACT_LABELS, TITLES

# Which positional argument holds the code, per reporting call.
CODE_AT = {"error": 0, "warning": 0, "rows_error": 0, "grouped_warning": 0, "has": 0}
CODE_AT |= {"count_only": 1, "room": 1, "Problem": 1, "_warning": 0}


def _sources() -> list[Path]:
    return sorted(Path(compute.__file__).parent.glob("*.py"))


def _codes() -> set[str]:
    codes: set[str] = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            at = CODE_AT.get(str(name))
            if at is not None and len(node.args) > at:
                arg = node.args[at]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
    return codes


def _facts() -> set[str]:
    found: set[str] = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "facts"
                and isinstance(node.slice, ast.Constant)
            ):
                found.add(node.slice.value)
    return found


def test_the_scan_finds_codes():
    assert {"missing_value", "partial_extract", "cell_too_long"} <= _codes()


def test_every_problem_code_has_a_title():
    assert sorted(_codes() - set(TITLES)) == []


def test_every_fact_has_a_label():
    assert sorted(_facts() - set(_FACT_LABELS)) == []
