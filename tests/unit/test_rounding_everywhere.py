"""One number everywhere: a figure reads the same on the site, in the map snippets (SVG and
HTML, tooltips and tiles), in the mail (text and HTML) and in its attachments (CSV, XLSX), and
the open data carry that shown value beside the unrounded one. Everything here is rendered
from one FiguresDoc and read back from what a reader gets.

The figures of Aarhus (751), socialområdet 2024, are made to tell the rules apart:
38,5 % (half up: 39, Python's round: 38, one decimal: 38,5), an interval of 32,5–44,5
(33–45 / 32–44), last year 21,39 % (shown 21), so the change is +18 as the difference of the
shown rates and +17 as the rounded difference; the country has 36,5 % (37 / 36).
"""

from __future__ import annotations

import csv
import dataclasses
import email
import io
import json
import re
from datetime import UTC, datetime
from email import policy

import openpyxl
import pytest
from danmarkskort import text as fmt
from danmarkskort.domain.figures import Figure, FiguresDoc
from danmarkskort.domain.municipalities import registry
from danmarkskort.mail.compose import ComposedMail, compose, compose_all
from danmarkskort.render.geometry import tilegrid
from hypothesis import given
from hypothesis import strategies as st

from tests.figures_support import mail_doc
from tests.unit.test_mail_compose import context
from tests.unit.test_render import files, render, text

NB = "\u00a0"
CODE, AREA, YEAR = "751", "socialomraadet", 2024
AREA_NAME = "Socialområdet generelt"
# What every surface must show for Aarhus, socialområdet 2024 (see the module docstring).
EXPECTED = {"rate": 39, "ci": (33, 45), "change": 18, "national": 37}


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (38.5, 39),
        (12.5, 13),
        (0.5, 1),
        (18.49, 18),
        (18.6, 19),
        (0.0, 0),
        (100.0, 100),
        (None, None),
    ],
)
def test_whole_percent_half_up(value, shown) -> None:
    assert fmt.shown_percent(value) == shown


def test_the_change_is_the_difference_of_the_shown_rates() -> None:
    assert fmt.shown_change(38.5, 21.4) == 18  # 39 − 21, not round(17.1) = 17
    assert fmt.shown_change(38.51, 38.49) == 1  # shown 39 and 38: +1, as a reader checks it
    assert fmt.shown_change(38.6, 39.4) == 0  # shown 39 and 39, though it fell 0,8
    assert fmt.shown_change(40.0, None) is None


@given(
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
)
def test_shown_values_can_be_checked_against_each_other(a: float, b: float, c: float) -> None:
    """The shown change is always the difference of the shown rates, and the shown interval
    always holds the shown rate."""
    assert fmt.shown_change(a, b) == fmt.shown_percent(a) - fmt.shown_percent(b)
    low, rate, high = sorted((a, b, c))
    assert fmt.shown_percent(low) <= fmt.shown_percent(rate) <= fmt.shown_percent(high)


def test_a_change_without_the_previous_record_is_recovered_exactly() -> None:
    """shown_figure falls back to rate − aendring_pp; float noise must not flip a half."""
    now, before = 50.0, 100 * 1 / 8  # 12.5 exactly: shown 13
    f = _bare(rate=now, change=now - before)
    assert fmt.shown_figure(f, None).change == 50 - 13
    assert fmt.shown_figure(f, _bare(rate=before, change=None)).change == 50 - 13


def _bare(rate: float, change: float | None) -> Figure:
    return Figure(YEAR, AREA, CODE, "Aarhus", 0, 0, 0, 0, 0, rate, None, None, False, change)


# --- one document, every surface -----------------------------------------------------------


def _with(f: Figure, s: int, a: int, h: int) -> Figure:
    n = s + a + h
    return dataclasses.replace(
        f,
        stadfaestet=s,
        aendret_ophaevet=a,
        hjemvist=h,
        realitetsbehandlede=n,
        omgoerelsesprocent=100.0 * (a + h) / n,
        lav_n=False,
    )


def _recompute_changes(figures: list[Figure]) -> list[Figure]:
    rate = {(f.aar, f.omraade, f.kommunekode): f.omgoerelsesprocent for f in figures}
    out = []
    for f in figures:
        prev = rate.get((f.aar - 1, f.omraade, f.kommunekode))
        change = None
        if f.omgoerelsesprocent is not None and prev is not None:
            change = f.omgoerelsesprocent - prev
        out.append(dataclasses.replace(f, aendring_pp=change))
    return out


def tricky_doc() -> FiguresDoc:
    """The mail tests' document with the figures of the module docstring."""
    doc = mail_doc()
    figures = []
    for f in doc.figures:
        key = (f.aar, f.omraade, f.kommunekode)
        if key == (YEAR, AREA, CODE):
            f = dataclasses.replace(_with(f, 123, 17, 60), ci_lav=32.5, ci_hoej=44.5)  # 38,5 %
        elif key == (YEAR - 1, AREA, CODE):
            f = _with(f, 158, 13, 30)  # 43/201 = 21,39 %
        elif key == (YEAR, AREA, "000"):
            f = _with(f, 1270, 200, 530)  # 730/2000 = 36,5 %
        figures.append(f)
    return dataclasses.replace(doc, figures=tuple(_recompute_changes(figures)))


@pytest.fixture(scope="module")
def doc() -> FiguresDoc:
    d = tricky_doc()
    [f] = [x for x in d.figures if (x.aar, x.omraade, x.kommunekode) == (YEAR, AREA, CODE)]
    assert f.omgoerelsesprocent == 38.5 and round(f.aendring_pp) == 17  # the traps are set
    return d


@pytest.fixture(scope="module")
def site(doc):
    return render(doc)


@pytest.fixture(scope="module")
def mails(doc) -> dict[str, email.message.EmailMessage]:
    out = {}
    for mail in compose_all(context(doc=doc)):
        assert isinstance(mail, ComposedMail)
        raw = mail.with_date(datetime(2025, 6, 24, 9, 0, tzinfo=UTC))
        out[mail.kommunekode] = email.message_from_bytes(raw, policy=policy.default)
    return out


def _pct(s: str) -> int | None:
    if s.strip() in ("–", ""):
        return None
    m = re.fullmatch(rf"(\d+){NB}%", s.strip())
    assert m, f"not a shown percentage: {s!r}"
    return int(m.group(1))


def _range(s: str) -> tuple[int, int] | None:
    if s.strip() == "–":
        return None
    m = re.fullmatch(rf"(\d+)–(\d+){NB}%", s.strip())
    assert m, f"not a shown interval: {s!r}"
    return int(m.group(1)), int(m.group(2))


def _pp(s: str) -> int | None:
    s = s.strip().rstrip(".")
    if s == "–":
        return None
    m = re.fullmatch(rf"(\+|−|±)?(\d+){NB}(procentpoint|pp)", s)
    assert m, f"not a shown change: {s!r}"
    return -int(m.group(2)) if m.group(1) == "−" else int(m.group(2))


def _section(page: str, slug: str) -> str:
    start = page.index(f'id="{slug}"')
    end = page.find("<section", start)
    return page[start : end if end > 0 else None]


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td class="tal">(.*?)</td>', row)]


def year_table(page: str, slug: str) -> dict[str, dict[str, object]]:
    """The year page's table: per kommunekode its shown rate, interval and change."""
    out = {}
    for code, row in re.findall(
        r'(?s)<tr[^>]*><th scope="row"><a href="[^"]*kommune/(\d{3})-[^"]*">(.*?)</tr>',
        _section(page, slug),
    ):
        cells = _cells(row)
        out[code] = {"rate": _pct(cells[0]), "ci": _range(cells[5]), "change": _pp(cells[6])}
    assert len(out) == 98
    return out


def tooltips(svg: str) -> dict[str, dict[str, object]]:
    """Per kommunekode what its tooltip (data-tip; the <title> is the same) says."""
    out = {}
    for code, tip in re.findall(r'data-kode="(\d{3})" data-tip="([^"]*)"', svg):
        lines = tip.split("\n")
        rate = re.match(rf"(\d+{NB}%) omgjort", lines[1])
        change = [ln.split(": ", 1)[1] for ln in lines if ln.startswith("Ændring fra ")]
        out[code] = {
            "rate": _pct(rate.group(1)) if rate else None,
            "change": _pp(change[0]) if change else None,
        }
    assert len(out) == 98
    return out


def mail_text(msg: email.message.EmailMessage, area_name: str) -> dict[str, object]:
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    block = body.split(area_name.upper() + "\n", 1)[1].split("\n\n", 1)[0]
    out: dict[str, object] = {"rate": None, "ci": None, "change": None}
    m = re.search(
        rf"Omgørelsesprocent \d+: (\d+{NB}%)(?: \(95 %-usikkerhedsinterval: (.*?)\))?", block
    )
    if m:
        out["rate"] = _pct(m.group(1))
        out["ci"] = _range(m.group(2)) if m.group(2) else None
    change = re.search(r"Ændring fra \d+: (.*)", block)
    if change:
        out["change"] = _pp(change.group(1))
    national = re.search(r"\n  .*?: (\d+\xa0%) af ", block)
    out["national"] = _pct(national.group(1)) if national else None
    return out


def mail_html(msg: email.message.EmailMessage, area_name: str) -> dict[str, object]:
    html = msg.get_body(("html",)).get_content()
    block = html.split(f">{area_name}</h2>", 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r'<th scope="row"[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>', block))
    rate_cell = rows[f"Omgørelsesprocent {YEAR}"]
    rate = re.search(r"<strong>(.*?)</strong>", rate_cell).group(1)
    ci = re.search(r"usikkerhedsinterval: (.*?)\)", rate_cell)
    national = [v for k, v in rows.items() if k not in (f"Omgørelsesprocent {YEAR}",)][-1]
    return {
        "rate": _pct(rate),
        "ci": _range(ci.group(1)) if ci else None,
        "change": _pp(rows[f"Ændring fra {YEAR - 1}"]),
        "national": _pct(national.split(" af ")[0]),
    }


def _attachment(msg: email.message.EmailMessage, suffix: str) -> bytes:
    [part] = [
        a
        for a in msg.iter_attachments()
        if a.get_filename().startswith("omgoerelsesprocenter-2")
        and a.get_filename().endswith(suffix)
    ]
    return part.get_content() if suffix == ".xlsx" else part.get_content().encode("utf-8")


def _sheet_rows(rows: list[list[object]]) -> list[dict[str, object]]:
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def attachment_rows(msg: email.message.EmailMessage, kind: str) -> list[dict[str, object]]:
    if kind == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(_attachment(msg, ".xlsx")))
        return _sheet_rows([list(r) for r in wb["Områder"].iter_rows(values_only=True)])
    data = _attachment(msg, ".csv").decode("utf-8-sig")
    return _sheet_rows([list(r) for r in csv.reader(io.StringIO(data), delimiter=";")])


def from_attachment(rows: list[dict[str, object]], aar: int, area_name: str) -> dict[str, object]:
    [r] = [r for r in rows if str(r["År"]) == str(aar) and r["Område"] == area_name]

    def whole(v: object) -> int | None:
        return None if v in (None, "") else int(v)  # type: ignore[call-overload]

    low, high = (
        whole(r["95 %-usikkerhedsinterval, nedre"]),
        whole(r["95 %-usikkerhedsinterval, øvre"]),
    )
    return {
        "rate": whole(r["Omgørelsesprocent"]),
        "ci": None if low is None or high is None else (low, high),
        "change": whole(r["Ændring fra året før (procentpoint)"]),
        "national": whole(r["Sammenligning: omgørelsesprocent"]),
    }


def from_open_data(record: dict[str, object]) -> dict[str, object]:
    def whole(v: object) -> int | None:
        return None if v in (None, "") else int(v)  # type: ignore[call-overload]

    low, high = whole(record["ci_lav_vist"]), whole(record["ci_hoej_vist"])
    return {
        "rate": whole(record["omgoerelsesprocent_vist"]),
        "ci": None if low is None or high is None else (low, high),
        "change": whole(record["aendring_pp_vist"]),
    }


def test_aarhus_reads_the_same_on_every_surface(doc, site, mails) -> None:
    seen: dict[str, dict[str, object]] = {}
    year_page = text(site, f"{YEAR}/index.html")
    seen["year page table"] = year_table(year_page, AREA)[CODE]
    nat = _section(year_page, AREA)
    seen["year page, country"] = {
        "national": _pct(re.search(r'<p class="stortal">(.*?)</p>', nat).group(1))
    }
    page = _section(text(site, "kommune/751-aarhus.html"), AREA)
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    seen["municipality page"] = {
        "rate": _pct(re.search(r'<p class="stortal">(\d+\xa0%)', page).group(1)),
        "ci": _range(facts["95 %-usikkerhedsinterval"]),
        "change": _pp(facts[f"Ændring fra {YEAR - 1}"]),
        "national": _pct(re.sub(r"<span.*", "", facts["Hele landet"])),
    }
    row = re.search(rf'(?s)<tr><th scope="row">{YEAR}</th>(.*?)</tr>', page).group(1)
    cells = _cells(row)
    seen["municipality trend table"] = {
        "rate": _pct(re.sub(r"\s*få sager", "", cells[0])),
        "ci": _range(cells[5]),
        "national": _pct(cells[6]),
    }
    label = re.search(rf"{YEAR}: (\d+{NB}%) af \d+ sager", page)
    seen["trend chart label"] = {"rate": _pct(label.group(1))}
    [aar_label] = [s.label for s in tilegrid().shapes if s.code == CODE]
    for path in (f"{YEAR}/kort/{AREA}.svg", f"{YEAR}/kort/{AREA}.html"):
        snippet = text(site, path)
        seen[f"{path} tooltip"] = tooltips(snippet)[CODE]
        national = re.search(rf"Hele landet: (\d+{NB}%) af", snippet).group(1)
        seen[f"{path} caption"] = {"national": _pct(national)}
        tile = re.search(rf">{aar_label}</text><text class=\"kort-tal\"[^>]*>(\d+)</text>", snippet)
        seen[f"{path} tile"] = {"rate": int(tile.group(1))}
    msg = mails[CODE]
    seen["mail text"] = mail_text(msg, AREA_NAME)
    seen["mail html"] = mail_html(msg, AREA_NAME)
    for kind in ("csv", "xlsx"):
        seen[f"attachment {kind}"] = from_attachment(attachment_rows(msg, kind), YEAR, AREA_NAME)
    records = json.loads(files(site)[f"{YEAR}/data/omgoerelser-{YEAR}.json"])["figures"]
    [record] = [r for r in records if (r["omraade"], r["kommunekode"]) == (AREA, CODE)]
    seen["open data json"] = from_open_data(record)
    assert record["omgoerelsesprocent"] == 38.5  # full precision beside the shown value
    rows = csv.DictReader(
        io.StringIO(text(site, f"{YEAR}/data/omgoerelser-{YEAR}.csv").lstrip("\ufeff"))
    )
    [row_csv] = [r for r in rows if (r["omraade"], r["kommunekode"]) == (AREA, CODE)]
    seen["open data csv"] = from_open_data(row_csv)
    assert row_csv["omgoerelsesprocent"] == "38.5"
    wb = openpyxl.load_workbook(io.BytesIO(files(site)[f"{YEAR}/data/omgoerelser-{YEAR}.xlsx"]))
    sheet = _sheet_rows([list(r) for r in wb.worksheets[0].iter_rows(values_only=True)])
    seen["open data xlsx"] = {
        k: v for k, v in from_attachment_like(sheet).items() if k != "national"
    }
    wrong = {
        surface: {k: v for k, v in values.items() if v != EXPECTED[k]}
        for surface, values in seen.items()
    }
    assert {s: w for s, w in wrong.items() if w} == {}


def from_attachment_like(rows: list[dict[str, object]]) -> dict[str, object]:
    [r] = [r for r in rows if r["Kommunekode"] == CODE and r["Område"] == AREA_NAME]
    return {
        "rate": r["Omgørelsesprocent"],
        "ci": (r["95 %-usikkerhedsinterval, nedre"], r["95 %-usikkerhedsinterval, øvre"]),
        "change": r["Ændring fra året før (procentpoint)"],
    }


def test_every_municipality_reads_the_same_on_site_snippet_mail_and_attachment(
    doc, site, mails
) -> None:
    """The sweep: all 98 municipalities, the three areas of the newest year."""
    records = json.loads(files(site)[f"{YEAR}/data/omgoerelser-{YEAR}.json"])["figures"]
    open_data = {(r["omraade"], r["kommunekode"]): from_open_data(r) for r in records}
    year_page = text(site, f"{YEAR}/index.html")
    differ = []
    compared = 0
    for slug, area_name in (
        ("socialomraadet", "Socialområdet generelt"),
        ("boernehandicap", "Børnehandicap"),
        ("voksenhandicap", "Voksenhandicap"),
    ):
        table = year_table(year_page, slug)
        tips = tooltips(text(site, f"{YEAR}/kort/{slug}.svg"))
        for m in registry().municipalities:
            msg = mails[m.code]
            surfaces = {
                "year page": table[m.code],
                "tooltip": tips[m.code],
                "mail text": mail_text(msg, area_name),
                "attachment": from_attachment(attachment_rows(msg, "xlsx"), YEAR, area_name),
                "open data": open_data[(slug, m.code)],
            }
            reference = surfaces["open data"]
            for surface, values in surfaces.items():
                for key, value in values.items():
                    if key in reference:
                        compared += 1
                        if value != reference[key]:
                            differ.append((m.code, slug, surface, key, value, reference[key]))
    assert compared > 98 * 3 * 10
    assert differ == []


# --- the national figure's own name ---------------------------------------------------------

PARTIAL = "De 12 kommuner i udtrækket"


def _named_partial(doc: FiguresDoc, years: set[int]) -> FiguresDoc:
    return dataclasses.replace(
        doc,
        figures=tuple(
            dataclasses.replace(f, kommune=PARTIAL) if f.is_national and f.aar in years else f
            for f in doc.figures
        ),
    )


def test_a_partial_national_figure_is_named_so_everywhere_and_hele_landet_nowhere() -> None:
    doc = _named_partial(mail_doc(), {YEAR})
    s = render(doc)
    year_outputs = {
        path: body.decode("utf-8")
        for path, body in files(s).items()
        if path.startswith(f"{YEAR}/") and not path.endswith(".xlsx")
    }
    assert len(year_outputs) == 1 + 6 + 2  # the page, six snippets, CSV and JSON
    for path, body in year_outputs.items():
        assert "Hele landet" not in body and "hele landet" not in body, path
        if not path.endswith((".csv", ".json")):
            assert PARTIAL in body or PARTIAL.lower() in body, path
    page = year_outputs[f"{YEAR}/index.html"]
    assert f'<p class="nogletal-label">{PARTIAL}</p>' in page
    assert f"Fordeling af sagerne for {PARTIAL[0].lower()}{PARTIAL[1:]}" in page
    for path in (f"{YEAR}/kort/{AREA}.svg", f"{YEAR}/kort/{AREA}.html"):
        assert f"{PARTIAL}: " in year_outputs[path]
    wb = openpyxl.load_workbook(io.BytesIO(files(s)[f"{YEAR}/data/omgoerelser-{YEAR}.xlsx"]))
    cells = [str(c) for r in wb.worksheets[0].iter_rows(values_only=True) for c in r if c]
    assert PARTIAL in cells and not any("Hele landet" in c for c in cells)

    # The municipality page spans the years: 2024 by its name, 2023 as the whole country.
    kommune = text(s, "kommune/751-aarhus.html")
    assert f"<dt>{PARTIAL}</dt>" in kommune and "<dt>Hele landet</dt>" not in kommune
    assert '<th scope="col" class="tal">Til sammenligning</th>' in kommune
    assert f'<span class="n">({PARTIAL[0].lower()}{PARTIAL[1:]})</span>' in kommune
    assert "hele landet og de 12 kommuner i udtrækket (grå, stiplet)" in kommune

    # The mail is about 2024: its body names the partial figure only.
    mail = compose(context(doc=doc), registry().by_code(CODE))
    assert isinstance(mail, ComposedMail)
    msg = email.message_from_bytes(mail.raw, policy=policy.default)
    for kind in ("plain", "html"):
        body = msg.get_body((kind,)).get_content()
        assert "Hele landet" not in body and PARTIAL in body, kind
    assert f"{PARTIAL}: " in msg.get_body(("plain",)).get_content()
    assert f">{PARTIAL}</th>" in msg.get_body(("html",)).get_content()
    # The attachments name each year's comparison in its row.
    for kind in ("csv", "xlsx"):
        named: dict[str, set[object]] = {}
        for r in attachment_rows(msg, kind):
            named.setdefault(str(r["År"]), set()).add(r["Sammenlignet med"])
        assert named == {"2022": {"Hele landet"}, "2023": {"Hele landet"}, "2024": {PARTIAL}}


def test_the_corrections_page_names_a_corrected_national_figure_by_its_name() -> None:
    from danmarkskort.domain.record import ChangeEntry, Correction

    doc = _named_partial(mail_doc(), {YEAR})
    [nat] = [f for f in doc.figures if f.is_national and (f.aar, f.omraade) == (YEAR, AREA)]
    entry = ChangeEntry(
        aar=YEAR,
        applied="2025-08-01T10:00:00+00:00",
        extract_id="cd" * 32,
        extract_file="rettet.csv",
        previous_extract_id=doc.extract_id,
        corrections=(Correction(YEAR, AREA, "000", nat, _with(nat, 10, 5, 5)),),
    )
    page = text(render(doc, changelog=(entry,)), "rettelser.html")
    assert f'<th scope="row">{PARTIAL}</th>' in page and "Hele landet" not in page


def test_the_reading_guide_states_the_rule() -> None:
    guide = text(render(), "laesevejledning.html")
    assert "til hele procent, og et halvt rundes op (18,5 % bliver 19 %)" in guide
    assert "Ændringen fra året før er forskellen mellem de to viste procenter" in guide
    assert "»De 12 kommuner i udtrækket«" in guide


def test_the_rounding_cache_keeps_equal_values_of_other_kinds_apart():
    """round_half_up is cached by the value as written: -0.0 after 0.0, a float after the
    int of the same value and True after 1 each get their own answer, as uncached."""
    from decimal import Decimal, InvalidOperation

    from danmarkskort.text import number, round_half_up

    assert str(round_half_up(0.0, 1)) == "0.0"
    assert str(round_half_up(-0.0, 1)) == "-0.0"
    assert round_half_up(2**60, 0) == Decimal(2**60)
    assert round_half_up(float(2**60), 0) == Decimal("1152921504606847000")
    assert round_half_up(1, 0) == 1
    with pytest.raises(InvalidOperation):
        round_half_up(True, 0)  # type: ignore[arg-type]
    assert number(-0.0) == "0" and number(-1234567) == "\u22121.234.567"
    assert number(12.25, 1) == "12,3" and number(12.35, 1) == "12,4"
