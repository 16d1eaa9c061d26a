"""The yearly cycle as the ministry runs it locally: `danmarkskort run EXTRACT --state DIR`
three times on one state — a 2022–2023 extract, then a 2024 extract, then a corrected 2024
extract — behaves like three uploads to one deployed stack (docs/design.md §7)."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from danmarkskort_tools.cli import main
from danmarkskort_tools.generator import correct_extract, write_extract

CASES = 400


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("yearly")
    state = root / "state"
    first = root / "udtræk 2022-2023.csv"
    write_extract(first, years=[2022, 2023], cases_per_year=CASES, seed=31)
    second = root / "udtræk 2024.csv"
    write_extract(second, years=[2024], cases_per_year=CASES, seed=32)
    third = root / "udtræk 2024 rettet.csv"
    correct_extract(second, third, 2024, {"155": 3})
    outs = {}
    for name, extract in (("first", first), ("second", second), ("third", third)):
        out = root / f"out-{name}"
        code = main(["run", str(extract), "--state", str(state), "--out", str(out)])
        assert code == 0, name
        outs[name] = out
    return outs


def _mails(out: Path) -> dict[str, email.message.EmailMessage]:
    return {
        p.stem.split("-")[0]: email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted((out / "outbox").glob("*.eml"))
    }


def test_the_second_year_joins_the_first(runs):
    site = runs["second"] / "site"
    front = (site / "index.html").read_text(encoding="utf-8")
    for year in (2022, 2023, 2024):
        assert f"{year}/index.html" in front
        assert (site / "data" / f"omgoerelser-{year}.csv").is_file()
    every = (site / "data" / "omgoerelser.csv").read_text(encoding="utf-8-sig").splitlines()
    assert {line.split(",")[0] for line in every[1:]} == {"2022", "2023", "2024"}
    mails = _mails(runs["second"])
    assert len(mails) > 90 and all("2024" in str(m["Subject"]) for m in mails.values())


def test_a_correction_mails_exactly_the_changed_municipality(runs):
    mails = _mails(runs["third"])
    assert list(mails) == ["155"]
    [dragoer] = mails.values()
    assert str(dragoer["Subject"]).startswith("Rettelse: ")
    body = " ".join(dragoer.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "erstatter den, vi sendte tidligere" in body and "→" in body
    site = runs["third"] / "site"
    assert "Rettet" in (site / "2024" / "index.html").read_text(encoding="utf-8")
    assert "Dragør" in (site / "rettelser.html").read_text(encoding="utf-8")


def test_the_same_figures_again_change_nothing(runs, tmp_path):
    """A fourth command with the corrected extract under another name: nothing new."""
    state = runs["third"].parent / "state"
    again = tmp_path / "samme tal.csv"
    again.write_bytes((runs["third"].parent / "udtræk 2024 rettet.csv").read_bytes() + b"\n")
    out = tmp_path / "out"
    assert main(["run", str(again), "--state", str(state), "--out", str(out)]) == 0
    assert list((out / "outbox").iterdir()) == []
