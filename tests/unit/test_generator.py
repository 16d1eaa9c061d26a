"""The sample extract generator: contract shapes, determinism, realism, and that the real
computation accepts what it makes."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date
from functools import cache
from importlib import resources

import numpy as np
import pytest
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.provisions import parse_paragraph
from danmarkskort_tools import generator as g
from openpyxl import load_workbook

YEARS = (2022, 2023, 2024)
OUTCOME_OF = {
    "stadfæstelse": 0, "stadfæstet": 0,
    "ændring/ophævelse": 1, "ændret": 1, "ophævet": 1,
    "hjemvisning": 2, "hjemvist": 2,
    "afvisning/henvisning": 3, "afvisning/bortfald": 3, "afvist": 3,
}  # fmt: skip


@cache
def cases() -> list[tuple[str, ...]]:
    return list(g.generate_cases(years=YEARS, cases_per_year=10_000, seed=2024))


def year_of(text: str) -> int:
    return int(text[:4]) if text[4] == "-" else int(text[-4:])


def municipality(value: str):
    r = registry().resolve(value)
    return r.municipality if r.kind == "municipality" else None


def read_csv(data: bytes, encoding: str, sep: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=sep))


# --- shapes and options -------------------------------------------------------------------


def test_case_level_csv_has_the_contract_header_and_one_row_per_case():
    rows = read_csv(g.extract_bytes(cases_per_year=500, years=(2023,)), "utf-8", ";")
    assert rows[0] == [
        "Sagsnummer", "Afgørelseskommune", "Bopælskommune", "Lov", "Paragraf", "Afgørelse",
        "Afgørelsesdato",
    ]  # fmt: skip
    assert len(rows) == 501
    assert all(len(r) == 7 for r in rows)


def test_aggregated_csv_has_the_contract_header_and_totals_that_add_up():
    rows = read_csv(g.extract_bytes(shape="aggregated", cases_per_year=2000), "utf-8", ";")
    assert rows[0] == [
        "Instans", "Lov", "Paragraf", "Aar", "Kvartal", "Stadfæstelse", "Ændring/Ophævelse",
        "Hjemvisning", "Afvisning/Henvisning", "Antal_sager_ialt",
    ]  # fmt: skip
    body = rows[1:]
    assert {r[3] for r in body} == {"2022", "2023", "2024"}
    assert {r[4] for r in body} == {"1", "2", "3", "4"}
    for r in body:
        counts = [int(x) for x in r[5:9]]
        assert min(counts) >= 0 and int(r[9]) == sum(counts) > 0
    assert sum(int(r[9]) for r in body) == 3 * 2000


def test_aggregated_rows_are_the_same_cases_summed():
    per_key: Counter[tuple[str, int, int]] = Counter()
    for row in cases():
        m = municipality(row[1])
        if m:
            per_key[m.code, year_of(row[6]), OUTCOME_OF[row[5].lower()]] += 1
    summed: Counter[tuple[str, int, int]] = Counter()
    for row in g.generate_aggregated(years=YEARS, cases_per_year=10_000, seed=2024):
        m = municipality(str(row[0]))
        if m:
            for k in range(4):
                summed[m.code, row[3], k] += row[5 + k]
    assert +summed == per_key


def test_same_seed_same_bytes_other_seed_other_bytes():
    kw = {"cases_per_year": 3000, "encoding": "cp1252"}
    assert g.extract_bytes(seed=7, **kw) == g.extract_bytes(seed=7, **kw)
    assert g.extract_bytes(seed=7, **kw) != g.extract_bytes(seed=8, **kw)
    agg = {"shape": "aggregated", "cases_per_year": 3000}
    assert g.extract_bytes(seed=7, **agg) == g.extract_bytes(seed=7, **agg)


def test_a_year_does_not_depend_on_which_other_years_are_generated():
    one = [r for r in g.generate_cases(years=(2024,), cases_per_year=2000) if r[0][:2] == "24"]
    three = [r for r in g.generate_cases(years=YEARS, cases_per_year=2000) if r[0][:2] == "24"]
    assert one == three


def test_cp1252_output_decodes_and_uses_windows_line_endings():
    data = g.extract_bytes(encoding="cp1252", cases_per_year=3000)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # æøå§ really are single Windows-1252 bytes
    text = data.decode("cp1252")
    assert "Afgørelseskommune" in text and "§" in text and "Ærø" in text
    assert text.count("\r\n") == 3 * 3000 + 1


def test_utf8_sig_starts_with_a_bom_and_comma_separated_fields_are_quoted():
    data = g.extract_bytes(encoding="utf-8-sig", sep=",", cases_per_year=3000)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data, "utf-8-sig", ",")
    assert all(len(r) == 7 for r in rows)
    assert any(r[4] == "§ 44, jf. § 83" for r in rows)  # the comma stayed inside the field


def test_tab_separated_reads_back_like_the_rows():
    data = g.extract_bytes(sep="\t", cases_per_year=1000, years=(2023,))
    rows = read_csv(data, "utf-8", "\t")[1:]
    assert [tuple(r) for r in rows] == list(g.generate_cases(cases_per_year=1000, years=(2023,)))


def test_write_extract_streams_to_a_path_the_same_bytes(tmp_path):
    path = tmp_path / "udtræk æøå.csv"
    n = g.write_extract(path, encoding="cp1252", cases_per_year=4000)
    assert n == 12_000
    assert path.read_bytes() == g.extract_bytes(encoding="cp1252", cases_per_year=4000)


def test_xlsx_opens_with_openpyxl_with_date_cells_and_numbers():
    wb = load_workbook(io.BytesIO(g.extract_bytes(fmt="xlsx", cases_per_year=1000)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == g.CASE_HEADER
    assert len(rows) == 3001
    assert all(isinstance(r[6], date) for r in rows[1:])
    assert any(isinstance(r[1], int) for r in rows[1:])  # kommunekoder as numbers
    wb = load_workbook(io.BytesIO(g.extract_bytes(fmt="xlsx", shape="aggregated")))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == g.AGGREGATED_HEADER
    assert all(isinstance(v, int) for r in rows[1:] for v in r[3:])


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"encoding": "latin-9"}, "encoding"),
        ({"encoding": "no-such-codec"}, "encoding"),
        ({"sep": "|"}, "sep"),
        ({"shape": "wide"}, "shape"),
        ({"fmt": "ods"}, "fmt"),
        ({"years": ()}, "years"),
        ({"years": (2024, 2024)}, "years"),
        ({"years": (1899,)}, "years"),
        ({"cases_per_year": 0}, "cases_per_year"),
        ({"newline": "\r"}, "newline"),
    ],
)
def test_bad_arguments_are_named(kwargs, named):
    with pytest.raises(g.GeneratorError, match=named):
        g.extract_bytes(**kwargs)


# --- realism ------------------------------------------------------------------------------


def test_sagsnummer_is_unique():
    numbers = [r[0] for r in cases()]
    assert len(set(numbers)) == len(numbers) == 30_000
    assert all(n[:2] == f"{year_of(r[6]) % 100:02d}" for n, r in zip(numbers, cases()))


def test_every_municipality_decides_cases_every_year():
    seen = defaultdict(set)
    for r in cases():
        if m := municipality(r[1]):
            seen[year_of(r[6])].add(m.code)
    assert {y: len(s) for y, s in seen.items()} == {2022: 98, 2023: 98, 2024: 98}


def test_every_spelling_resolves_to_the_intended_municipality():
    profile = json.loads(
        resources.files("danmarkskort_tools")
        .joinpath("data", "sample_profile.json")
        .read_text("utf-8")
    )
    for code, variants in profile["varianter"].items():
        for v in variants:
            assert registry().resolve(v).municipality == registry().by_code(code), v
    spellings = Counter(r[1] for r in cases())
    for wanted in (
        "Århus",
        "Aarhus Kommune",
        "Høje Taastrup",
        "Bornholms Regionskommune",
        "Københavns Kommune",
        "185",
        "Odense Kommune",
    ):
        assert spellings[wanted] > 0, wanted
    assert spellings["Aarhus"] > 5 * spellings["Århus"]  # official names dominate


def test_volumes_follow_population_with_a_floor_for_small_islands():
    pop = {}
    for line in (
        resources.files("danmarkskort_tools")
        .joinpath("data", "befolkning.csv")
        .read_text("utf-8")
        .splitlines()[4:]
    ):
        code, n = line.split(";")
        pop[code] = int(n)
    per_year = Counter((m.code, year_of(r[6])) for r in cases() if (m := municipality(r[2])))
    codes = sorted(pop)
    volume = np.array([sum(per_year[c, y] for y in YEARS) for c in codes])
    assert np.corrcoef(volume, [pop[c] for c in codes])[0, 1] > 0.95
    assert volume[codes.index("101")] > volume[codes.index("751")] > volume[codes.index("461")]
    for island in ("825", "741", "492", "563"):  # Læsø, Samsø, Ærø, Fanø: a handful a year
        assert all(1 <= per_year[island, y] <= 40 for y in YEARS), island


def test_taarnby_decides_draagoer_childrens_disability_cases():
    mapping = default_mapping()
    dragoer_kids = Counter()
    for r in cases():
        bop, dec = municipality(r[2]), municipality(r[1])
        if bop and bop.code == "155":
            law = mapping.law_for(r[3]).slug
            if "boernehandicap" in mapping.areas_for(law, r[4], year_of(r[6])):
                dragoer_kids[dec.code] += 1
    assert dragoer_kids["185"] > 0
    assert set(dragoer_kids) == {"185"}  # never Dragør itself, per cooperation.json
    vallensbaek = Counter(
        municipality(r[1]).code for r in cases()
        if (b := municipality(r[2])) and b.code == "187" and municipality(r[1])
    )  # fmt: skip
    assert vallensbaek["183"] > vallensbaek["187"] > 0  # Ishøj decides most of them


def test_instances_that_must_be_excluded_are_present():
    kinds = Counter(registry().resolve(r[1]).excluded_as for r in cases())
    assert kinds["region"] > 0 and kinds["faellesskab"] > 0 and kinds["ikke_kommune"] > 0
    assert 0 < sum(n for k, n in kinds.items() if k) < 0.01 * len(cases())
    assert any(r[1] == "411" for r in cases())


def test_provisions_laws_outcomes_and_dates_vary_like_real_extracts():
    mapping = default_mapping()
    laws_by_year = defaultdict(Counter)
    for r in cases():
        law = mapping.law_for(r[3])
        assert law is not None, r[3]
        assert parse_paragraph(r[4]), r[4]
        assert mapping.areas_for(law.slug, r[4], year_of(r[6])), r  # no unknown provisions
        laws_by_year[year_of(r[6])][law.slug] += 1
    assert set(laws_by_year[2022]) == {"serviceloven"}
    assert laws_by_year[2024]["barnets_lov"] > 0 and laws_by_year[2024]["serviceloven"] > 0
    sel_kids_2024 = [r for r in cases() if year_of(r[6]) == 2024 and r[4] == "§ 41"]
    assert sel_kids_2024  # running measures keep their serviceloven basis
    paragraphs = {r[4] for r in cases()}
    assert {"§ 32 a", "§§ 42-43", "§ 44, jf. § 83", "SEL § 41", "§ 86", "§§ 87-88"} <= paragraphs
    labels = {r[5] for r in cases()}
    assert {"Stadfæstelse", "stadfæstet", "Hjemvisning", "hjemvist", "ændret", "afvist"} <= labels
    assert any(x.isupper() for x in labels)
    formats = Counter(
        "iso" if r[6][4] == "-" else "dash" if r[6][2] == "-" else "dot" for r in cases()
    )
    assert set(formats) == {"iso", "dash", "dot"}
    assert all(date(year_of(r[6]), 1, 1).year == year_of(r[6]) for r in cases()[:100])


def test_national_rates_lie_around_the_published_figures():
    mapping = default_mapping()
    national = defaultdict(lambda: np.zeros(4, dtype=int))
    for r in cases():
        if not municipality(r[1]):
            continue
        y, k = year_of(r[6]), OUTCOME_OF[r[5].lower()]
        for area in mapping.areas_for(mapping.law_for(r[3]).slug, r[4], y):
            national[y, area][k] += 1

    def rate(c: np.ndarray) -> float:
        return 100 * (c[1] + c[2]) / c[:3].sum()

    bounds = {"socialomraadet": (28, 45), "boernehandicap": (38, 58), "voksenhandicap": (28, 48)}
    for (y, area), c in national.items():
        lo, hi = bounds[area]
        assert lo <= rate(c) <= hi, (y, area, rate(c))
        assert 0.09 <= c[3] / c.sum() <= 0.16  # afviste
        assert c[2] > c[1]  # hjemvist is the larger part of omgjort


def test_municipalities_differ_and_keep_their_level_across_years():
    local = defaultdict(lambda: np.zeros(4, dtype=int))
    for row in g.generate_aggregated(years=YEARS, cases_per_year=40_000, seed=2024):
        if m := municipality(str(row[0])):
            local[m.code, row[3]] += row[5:9]
    big = [m.code for m in registry().municipalities if local[m.code, 2022][:3].sum() >= 200]
    levels = np.array([[100 * local[c, y][1:3].sum() / local[c, y][:3].sum() for y in YEARS]
                       for c in big])  # fmt: skip
    assert len(big) >= 30
    assert levels.std(axis=0).min() > 5  # municipalities differ
    assert np.corrcoef(levels[:, 0], levels[:, 2])[0, 1] > 0.5  # and stay high or low


# --- what the real computation makes of it -------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"encoding": "cp1252"},
        {"encoding": "utf-8-sig", "sep": ","},
        {"shape": "aggregated", "sep": "\t"},
        {"fmt": "xlsx", "cases_per_year": 2000},
    ],
)
def test_the_computation_accepts_generated_extracts_with_only_exclusion_warnings(kwargs):
    from danmarkskort.compute.evaluate import evaluate

    kwargs = {"cases_per_year": 5000, **kwargs}
    ev = evaluate(g.extract_bytes(**kwargs), "udtræk." + kwargs.get("fmt", "csv"))
    assert ev.accepted, ev.report_text()
    assert ev.figures is not None
    codes = {f.kommunekode for f in ev.figures.figures if f.realitetsbehandlede}
    assert len(codes) == 99  # 98 and the country
    report = json.loads(ev.report_json())
    assert [s["code"] for s in report["summary"]] == ["excluded_instance"]
    facts = report["facts"]
    assert report["warnings_total"] == int(facts["rows"]) - int(facts["rows_used"]) > 0


def test_both_shapes_of_the_same_cases_give_identical_figures():
    from danmarkskort.compute.evaluate import evaluate

    a = evaluate(g.extract_bytes(encoding="cp1252"), "a.csv").figures
    b = evaluate(g.extract_bytes(shape="aggregated"), "b.csv").figures
    assert a is not None and b is not None
    assert a.figures == b.figures
