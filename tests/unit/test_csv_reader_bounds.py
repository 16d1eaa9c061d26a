"""The CSV reader's bounds and its fast path (issue 10).

Every bound exceeded is a rejection naming the limit, the line and what was found; the
numpy path for unquoted bodies must give exactly the table pandas' reader gives.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from danmarkskort.compute import csv_reader, decode
from danmarkskort.compute.evaluate import evaluate
from danmarkskort.compute.report import Report

from tests.config_support import SMALL_EXTRACTS

RECEIVED = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
AGG = "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"
CASES = "Sagsnummer;Afgørelseskommune;Bopælskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"


def run(data: str | bytes):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return evaluate(raw, "udtræk.csv", received=RECEIVED, config=SMALL_EXTRACTS)


def errors(ev) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.column) for p in ev.report.problems if p.severity == "fejl"]


def message(ev, code: str) -> str:
    return next(p.message for p in ev.report.problems if p.code == code)


def test_a_line_over_the_limit_is_rejected_with_its_line_column_and_length():
    cell = "x" * (csv_reader.MAX_LINE_BYTES + 10)
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n" + f"Dragør;SEL;{cell};2024;1;0;0;0\n")
    assert errors(ev) == [("line_too_long", 3, "kolonne 3")]
    text = message(ev, "line_too_long")
    assert f"{len(cell) + len('Dragør;SEL;;2024;1;0;0;0'.encode()):,}".replace(",", ".") in text
    assert "4.194.304 byte" in text
    assert ev.report.problems[0].value.startswith("xxx")


def test_a_header_or_a_row_with_too_many_columns_is_rejected():
    wide = AGG.rstrip("\n") + ";" * csv_reader.MAX_COLUMNS + "\n"
    ev = run(wide + "Dragør;SEL;§ 83;2024;1;0;0;0\n")
    assert errors(ev) == [("too_many_columns", 1, f"kolonne {csv_reader.MAX_COLUMNS + 1}")]
    assert "1.008 kolonner; grænsen er 1.000" in message(ev, "too_many_columns")
    row = "Dragør;SEL;§ 83;2024;1;0;0;0" + ";" * csv_reader.MAX_COLUMNS + "\n"
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n" + row)
    assert errors(ev) == [("too_many_columns", 3, f"kolonne {csv_reader.MAX_COLUMNS + 1}")]
    assert "1.008 felter; grænsen er 1.000" in message(ev, "too_many_columns")


def test_millions_of_empty_lines_are_a_rejection_not_millions_of_rows():
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n" + "\n" * csv_reader.MAX_LINES)
    assert errors(ev) == [("too_many_lines", csv_reader.MAX_LINES + 1, "kolonne 1")]
    assert "4.000.000 linjer" in message(ev, "too_many_lines")
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n" + "\n" * 100_000)  # within the limit
    assert ev.accepted, ev.report_text()


def test_the_header_must_lie_within_the_search_window():
    ev = run("\n" * (csv_reader.HEADER_SEARCH_BYTES + 10) + AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n")
    assert errors(ev) == [("empty", None, None)]
    assert "første 8 MB" in message(ev, "empty")
    ev = run(";;;\n" * 1000 + AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n")  # blank lines: skipped
    assert ev.accepted, ev.report_text()


def _frames(data: bytes) -> tuple[object, object, list, list]:
    """The table by the numpy path and by pandas' path, with each one's problems."""
    fast_report, slow_report = Report(), Report()
    fast = csv_reader.read_csv(data, fast_report)
    keep = csv_reader._fast_body
    csv_reader._fast_body = lambda *_a, **_k: csv_reader._FALL_BACK
    try:
        slow = csv_reader.read_csv(data, slow_report)
    finally:
        csv_reader._fast_body = keep
    return fast, slow, fast_report.problems, slow_report.problems


def _assert_same_table(data: bytes) -> None:
    fast, slow, fast_problems, slow_problems = _frames(data)
    assert fast_problems == slow_problems
    assert (fast is None) == (slow is None)
    if fast is None or slow is None:
        return
    assert fast.lines.tolist() == slow.lines.tolist()
    assert list(fast.frame.columns) == list(slow.frame.columns)
    for name in fast.frame.columns:
        a, b = fast.frame[name], slow.frame[name]
        assert a.astype(object).tolist() == b.astype(object).tolist(), name
        if name != "sagsnummer":
            assert a.dtype == "category" and b.dtype == "category"
            # pandas' path keeps a blank line's '' as a category after dropping the row
            used = a.cat.remove_unused_categories(), b.cat.remove_unused_categories()
            assert list(used[0].cat.categories) == list(used[1].cat.categories), name
    assert (fast.headers, fast.facts, fast.shape) == (slow.headers, slow.facts, slow.shape)


def _random_extract(rng: random.Random) -> bytes:
    names = ["Dragør", "Tårnby", "101", "København", "Ærø", "Region Sjælland", "Æ" * 40, ""]
    labels = ["§ 83", "§§ 42-43", "SEL § 85 stk. 2", "§ 41 " + "x" * 150, "§ 32 a", " § 52 "]
    lines = []
    for i in range(rng.randint(0, 400)):
        if rng.random() < 0.05:
            lines.append(rng.choice(["", "  ", ";;;;;;", ";;;;;;;;;;"]))
            continue
        number = f"{rng.randint(20, 24)}-{i:06d}" + rng.choice(["", "", "æ", " "])
        cells = [number, rng.choice(names), rng.choice(names), rng.choice(["SEL", "Barnets lov"]),
                 rng.choice(labels), rng.choice(["Stadfæstelse", "Hjemvisning", "x"]),
                 rng.choice(["2024-03-15", "15.03.2024", "2023-12-31 10:00"])]  # fmt: skip
        lines.append(";".join(cells) + rng.choice(["", "", ";", ";;;"]))
    newline = rng.choice(["\n", "\r\n"])
    text = CASES.replace("\n", newline) + newline.join(lines) + rng.choice(["", newline])
    return text.encode(rng.choice(["utf-8", "cp1252"]))


def test_the_fast_path_gives_exactly_the_table_pandas_gives(monkeypatch):
    def no_pandas(*_a, **_kw):
        raise AssertionError("an unquoted body with regular rows takes the fast path")

    rng = random.Random(10)
    for _ in range(60):
        data = _random_extract(rng)
        _assert_same_table(data)
        with monkeypatch.context() as m:
            m.setattr(csv_reader, "_pandas_body", no_pandas)
            csv_reader.read_csv(data, Report())


def test_cells_sharing_a_key_are_told_apart_by_their_bytes(monkeypatch):
    # With a multiplier of 0 the key is a cell's last 8-byte word only: 'Aarhus Kommune'
    # and 'Aarhus-Kommune' (both 'ommune' there) collide, and the word check must part them.
    monkeypatch.setattr(csv_reader, "_MIX", np.uint64(0))
    rows = "".join(
        f"{i};{m}Kommune;;SEL;§ 83;Stadfæstelse;2024-01-0{1 + i % 9}\n"
        for i, m in enumerate(["Aarhus ", "Aarhus-", "Aarhus ", "Odder ", "Aarhus-"] * 20)
    )
    data = (CASES + rows).encode()
    table = csv_reader.read_csv(data, Report())
    assert table is not None
    assert table.frame["instans"].value_counts().to_dict() == {
        "Aarhus Kommune": 40,
        "Aarhus-Kommune": 40,
        "Odder Kommune": 20,
    }
    _assert_same_table(data)


@pytest.mark.parametrize(
    "body",
    [
        "Dragør;SEL;§ 83;2024;1;0;0;0\rGotham;SEL;§ 83;2024;1;0;0;0\n",  # a lone CR
        "Dragør;SEL;§ 83;2024;1;0;0\n",  # a row one field short
        "Dragør;SEL;§ 44, jf. § 83;2024;1;0;0;0\n",  # text beyond the header
    ],
)
def test_layouts_the_fast_path_leaves_to_pandas_read_the_same(body):
    _assert_same_table((AGG + body).encode())


def test_utf8_is_checked_in_pieces_and_errors_keep_their_offset():
    piece = 1 << 20
    ok = b"a" * (piece - 1) + "ø".encode() + b"b" * 10  # 'ø' split by a piece boundary
    assert decode.utf8_error_at(ok) is None
    bad = b"a" * (3 * piece + 5) + b"\xf8" + b"a" * 100
    assert decode.utf8_error_at(bad) == 3 * piece + 5
    assert decode.utf8_error_at(bad) == bad.decode("utf-8", "replace").index("\ufffd")
    mixed = (AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n").encode() + "Tårnby".encode("cp1252")
    ev = run(mixed + b";SEL;\xa7 83;2024;1;0;0;0\n")
    assert errors(ev) == [("unreadable", 3, None)]
    assert "blander to tegnsæt" in message(ev, "unreadable")
    report = Report()
    assert decode.detect(b"\xef\xbb\xbfab\xf8", report) is None
    assert "ugyldig byte 0xf8 ved byte 5" in report.problems[0].message
