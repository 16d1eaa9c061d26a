"""`danmarkskort demo` plays the yearly cycle on one local state, so a new user sees it: an
extract of the years before last, one of last year (the newest map, a mail to all 98), and a
corrected extract of last year (a "Rettelse" mail to exactly the changed municipalities).
README.md, "Two commands"."""

from __future__ import annotations

import contextlib
import email
import io
import re
from email import policy
from pathlib import Path

import pytest
from danmarkskort.domain.municipalities import registry
from danmarkskort_tools.cli import DEMO_CORRECTION, demo_years, main, recent_years

CODES = sorted(m.code for m in registry().municipalities)
CORRECTED = sorted(DEMO_CORRECTION)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo with a single year given: step 1 then takes the year before it."""
    out = tmp_path_factory.mktemp("demo") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--out", str(out), "--years", "2024", "--cases", "1000"])
    return code, out, printed.getvalue()


def _subject(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    return str(message["Subject"])


def test_the_demo_succeeds_and_its_summary_names_the_three_steps(demo):
    code, out, printed = demo
    assert code == 0, printed
    assert "--years 2024: one year given; step 1 uses 2023" in printed
    for step in ("1/3 Extract for 2023", "2/3 Extract for 2024", "3/3 Corrected extract for 2024"):
        assert step in printed
    assert "compute_rates" in printed and "notify_municipalities" in printed  # the progress
    summary = printed[printed.index("The yearly cycle, three uploads") :]
    assert "1/3 Ankestyrelsen udtræk 2023 – alle kommuner.csv: published 2023; 98 mails" in summary
    assert "2/3 Ankestyrelsen udtræk 2024 – alle kommuner.csv: published 2024; 98 mails" in summary
    assert "3/3 Ankestyrelsen udtræk 2024 – alle kommuner, rettet.csv: corrected 2024" in summary
    assert "3 mails, to Dragør, Bornholm, Thisted" in summary
    for where in ("site/index.html", "site/rettelser.html", "outbox", "results", "extract"):
        assert str(out / where) in summary
    assert not list(out.glob(".demo-*"))  # the temporary state is gone


def test_the_site_shows_every_published_year(demo):
    _, out, _ = demo
    site = out / "site"
    hrefs = set(re.findall(r'href="([^"]+)"', (site / "index.html").read_text(encoding="utf-8")))
    for year in (2023, 2024):
        assert any(h.endswith(f"/{year}/index.html") for h in hrefs), year
        assert (site / "data" / f"omgoerelser-{year}.csv").is_file()
    assert "Rettet" in (site / "2024" / "index.html").read_text(encoding="utf-8")


def test_rettelser_names_exactly_the_corrected_municipalities(demo):
    _, out, _ = demo
    log = (out / "site" / "rettelser.html").read_text(encoding="utf-8")
    for code in CORRECTED:
        assert registry().by_code(code).name in log
    assert "Frederiksberg" not in log and "Aarhus" not in log


def test_the_outbox_holds_every_mail_the_demo_sent(demo):
    _, out, _ = demo
    names = {p.name for p in (out / "outbox").iterdir()}
    newest = {f"{c}.eml" for c in CODES}
    first = {f"{c}-2023.eml" for c in CODES}
    corrections = {f"{c}-rettelse.eml" for c in CORRECTED}
    assert names == newest | first | corrections
    rettelse = {p.name for p in (out / "outbox").iterdir() if _subject(p).startswith("Rettelse: ")}
    assert rettelse == corrections
    assert "2024" in _subject(out / "outbox" / "155.eml")
    assert "2023" in _subject(out / "outbox" / "155-2023.eml")
    assert "2024" in _subject(out / "outbox" / "155-rettelse.eml")


def test_extract_and_results_are_the_three_extracts_and_the_last_ones_figures(demo):
    _, out, _ = demo
    assert sorted(p.name for p in (out / "extract").iterdir()) == [
        "Ankestyrelsen udtræk 2023 – alle kommuner.csv",
        "Ankestyrelsen udtræk 2024 – alle kommuner, rettet.csv",
        "Ankestyrelsen udtræk 2024 – alle kommuner.csv",
    ]
    rows = (out / "results" / "figures.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == {"2024"}
    assert (out / "logs" / "chain.log").read_text(encoding="utf-8").count("\n# ") == 2


def test_how_years_map_onto_the_steps():
    this = recent_years()
    assert demo_years(None) == (this[:2], this[2], "")
    assert demo_years([2021, 2023, 2025]) == ([2021, 2023], 2025, "")
    before, last, note = demo_years([2025])
    assert (before, last) == ([2024], 2025) and "step 1 uses 2024" in note
