"""Realistic sample extracts in both shapes of the extract contract (docs/design.md §3), any size.

The demo, the tests and the benchmarks need extracts that look like Ankestyrelsen's: all 98
municipalities with case volumes roughly proportional to population, rates scattered around
the national figures (each municipality consistently high or low across years), serviceloven
and from 2024 barnets lov provisions, afviste cases, name variants, codes, three date formats,
mixed-case outcome labels, Tårnby deciding Dragør's cases, and a few instances (regions,
Kommunale fællesskaber, Christiansø) that must be excluded. Everything is drawn from one seed,
so the same arguments always give the same bytes, and a year's cases do not depend on which
other years are generated. Each year has exactly ``cases_per_year`` rows (about 0.2 % of them
excluded instances); from about 200 a year every municipality has at least one resident's case.
Both shapes made with the same arguments hold the same cases, so they give the same figures.

What is plausible (provision shares, label spellings, rates) is data in
``data/sample_profile.json`` and ``data/befolkning.csv``; which area a provision counts in
and who decides for whom come from the same config files as the real computation
(``areas.json``, ``cooperation.json``). The work is vectorised with numpy so that a
million-row CSV for the benchmark takes seconds.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any, Literal, TypedDict

import numpy as np
from danmarkskort.config.sources import ConfigSource, layered
from danmarkskort.domain.areas import Mapping, load_mapping
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.remarks import COOPERATION_FILE, Arrangement, parse_cooperation

CASE_HEADER: tuple[str, ...] = (
    "Sagsnummer",
    "Afgørelseskommune",
    "Bopælskommune",
    "Lov",
    "Paragraf",
    "Afgørelse",
    "Afgørelsesdato",
)
AGGREGATED_HEADER: tuple[str, ...] = (
    "Instans",
    "Lov",
    "Paragraf",
    "Aar",
    "Kvartal",
    "Stadfæstelse",
    "Ændring/Ophævelse",
    "Hjemvisning",
    "Afvisning/Henvisning",
    "Antal_sager_ialt",
)
DEFAULT_YEARS: tuple[int, ...] = (2022, 2023, 2024)

Shape = Literal["cases", "aggregated"]
Format = Literal["csv", "xlsx"]

# Outcome classes, in the order of the aggregated shape's count columns.
OUTCOMES: tuple[str, ...] = ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist")
_STADF, _AENDRET, _HJEMVIST, _AFVIST = range(4)
_LAWS: tuple[str, ...] = ("serviceloven", "barnets_lov")
_SEL, _BL = range(2)
_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}
_SEPARATORS = (";", ",", "\t")
_CHUNK = 200_000  # rows per encoded block when streaming a CSV


class GeneratorError(ValueError):
    """Invalid generator arguments or profile; the message names the argument and value."""


# --- the profile: what is plausible, read once ---------------------------------------------


@dataclass(frozen=True)
class _Instance:
    """A deciding instance: one of the 98 municipalities or an instance to be excluded."""

    code: str  # kommunekode, or '' for excluded instances
    kind: str  # municipality | region | faellesskab | ikke_kommune
    forms: tuple[tuple[str, float], ...]  # spellings and their weights
    region_code: str


@dataclass(frozen=True)
class _Provision:
    key: str
    weight: float
    sel: tuple[tuple[str, float], ...]
    bl: tuple[tuple[str, float], ...]  # () when the provision did not move to barnets lov
    botilbud: bool


@dataclass(frozen=True)
class _Profile:
    doc: dict[str, Any]
    instances: tuple[_Instance, ...]  # the 98 first (registry order), then excluded ones
    population: np.ndarray  # per municipality, float
    provisions: tuple[_Provision, ...]
    mapping: Mapping
    arrangements: tuple[Arrangement, ...]

    @property
    def n_municipalities(self) -> int:
        return len(self.population)


def _read_data(name: str) -> str:
    """The generator's own data (tools), or the registry's (excluded instances) from the layer."""
    own = resources.files("danmarkskort_tools").joinpath("data", name)
    path = own if own.is_file() else resources.files("danmarkskort").joinpath("data", name)
    return path.read_text(encoding="utf-8")


def _csv_rows(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _read_data(name).splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter=";"))


def _weighted(items: Sequence[Sequence[Any]], where: str) -> tuple[tuple[str, float], ...]:
    try:
        out = tuple((str(label), float(weight)) for label, weight in items)
    except (TypeError, ValueError) as exc:
        raise GeneratorError(f"sample_profile.json: {where} must be [label, weight] pairs") from exc
    if not out or any(w < 0 for _, w in out) or sum(w for _, w in out) <= 0:
        raise GeneratorError(f"sample_profile.json: {where} needs positive weights")
    return out


def _build_profile(config: ConfigSource | None) -> _Profile:
    source = layered(*([config] if config is not None else []))
    mapping = load_mapping(source)
    arrangements, _ = parse_cooperation(source.require(COOPERATION_FILE), mapping)
    doc = json.loads(_read_data("sample_profile.json"))
    reg = registry()
    population = {r["kommunekode"]: float(r["befolkning"]) for r in _csv_rows("befolkning.csv")}
    missing = [m.code for m in reg.municipalities if m.code not in population]
    if missing:
        raise GeneratorError(f"befolkning.csv: no population for kommunekode {missing}")

    shares = doc["instansformer"]
    instances: list[_Instance] = []
    for m in reg.municipalities:
        full = doc["fulde_navne"].get(m.code, m.full_name)
        variants = doc["varianter"].get(m.code, [])
        name_w = shares["navn"] + (0.0 if variants else shares["variant"])
        forms = [(m.name, name_w), (full, shares["fulde_navn"]), (m.code, shares["kode"])]
        forms += [(v, shares["variant"] / len(variants)) for v in variants]
        instances.append(_Instance(m.code, "municipality", tuple(forms), m.region_code))
    # Excluded instances as the registry knows them: one per region and Christiansø (name
    # and code), one for 'Kommunale fællesskaber' with its spellings.
    faellesskab: list[tuple[str, float]] = []
    for row in _csv_rows("excluded_instances.csv"):
        if row["art"] == "faellesskab":
            faellesskab.append((row["navn"], 1.0))
        elif row["art"] == "region":
            instances.append(_Instance("", "region", ((row["navn"], 1.0),), row["kode"]))
        else:
            spellings: tuple[tuple[str, float], ...] = (
                ((row["kode"], 0.6), (row["navn"], 0.4)) if row["kode"] else ((row["navn"], 1),)
            )
            instances.append(_Instance("", row["art"], spellings, ""))
    if faellesskab:
        faellesskab[0] = (faellesskab[0][0], 4.0)  # the usual spelling first
        instances.append(_Instance("", "faellesskab", tuple(faellesskab), ""))

    provisions = tuple(
        _Provision(
            key=p["noegle"],
            weight=float(p["vaegt"]),
            sel=_weighted(p["sel"], f"bestemmelser[{p['noegle']}].sel"),
            bl=_weighted(p["bl"], f"bestemmelser[{p['noegle']}].bl") if p.get("bl") else (),
            botilbud=bool(p.get("botilbud")),
        )
        for p in doc["bestemmelser"]
    )
    return _Profile(
        doc=doc,
        instances=tuple(instances),
        population=np.array([population[m.code] for m in reg.municipalities]),
        provisions=provisions,
        mapping=mapping,
        arrangements=tuple(arrangements),
    )


@cache
def _default_profile() -> _Profile:
    return _build_profile(None)


def _profile(config: ConfigSource | None) -> _Profile:
    return _default_profile() if config is None else _build_profile(config)


# --- drawing ------------------------------------------------------------------------------


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class _Traits:
    """What stays the same about a municipality across years (drawn once per seed)."""

    complain: np.ndarray  # multiplier of case volume
    omg: np.ndarray  # logit offset of the omgørelse rate
    omg_area: np.ndarray  # (municipality, area) logit offset
    afvist: np.ndarray  # logit offset of the afvist share


def _traits(profile: _Profile, seed: int) -> _Traits:
    rng = np.random.default_rng([seed, 0])
    doc, n = profile.doc, profile.n_municipalities
    spread = doc["omgoerelse_spredning"]
    return _Traits(
        complain=rng.lognormal(0.0, doc["klagetilboejelighed_spredning"], n),
        omg=rng.normal(0.0, spread["kommune"], n),
        omg_area=rng.normal(0.0, spread["kommune_omraade"], (n, 3)),
        afvist=rng.normal(0.0, doc["afvist_spredning"], n),
    )


@dataclass
class _Year:
    """One year's cases as parallel arrays; display spellings are drawn when writing."""

    year: int
    seq: np.ndarray  # Sagsnummer running number (1..n), unique within the year
    inst: np.ndarray  # deciding instance (index into profile.instances)
    bop: np.ndarray  # bopælskommune (index into profile.instances)
    law: np.ndarray  # _SEL | _BL
    prov: np.ndarray  # index into profile.provisions
    outcome: np.ndarray  # index into OUTCOMES
    day: np.ndarray  # days since 1 January

    def __len__(self) -> int:
        return len(self.seq)


def _area_table(profile: _Profile, year: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per (law, provision): the rate class (0 socialområdet, 1 børn-, 2 voksenhandicap) and
    membership of every area, from the same mapping the computation uses."""
    n_prov = len(profile.provisions)
    member = {slug: np.zeros((2, n_prov), dtype=bool) for slug in profile.mapping.slugs}
    rate_class = np.zeros((2, n_prov), dtype=np.int8)
    for p_idx, p in enumerate(profile.provisions):
        for law_idx, labels in ((_SEL, p.sel), (_BL, p.bl)):
            if not labels:
                continue
            areas = profile.mapping.areas_for(_LAWS[law_idx], labels[0][0], year)
            for slug in areas:
                member[slug][law_idx, p_idx] = True
            if "boernehandicap" in areas:
                rate_class[law_idx, p_idx] = 1
            elif "voksenhandicap" in areas:
                rate_class[law_idx, p_idx] = 2
    return rate_class, member


def _sel_share(profile: _Profile, year: int) -> float:
    table = profile.doc["sel_andel_efter_barnets_lov"]
    bl_from = next(
        (law.gyldig_fra for law in profile.mapping.laws if law.slug == "barnets_lov"), 2024
    )
    if year < bl_from:
        return 1.0
    return float(table.get(str(year), table["senere"]))


def _day_weights(profile: _Profile, year: int) -> np.ndarray:
    start = date(year, 1, 1)
    n_days = (date(year + 1, 1, 1) - start).days
    month_w = profile.doc["maanedsvaegt"]
    w = np.empty(n_days)
    for i in range(n_days):
        d = start + timedelta(days=i)
        w[i] = 0.0 if d.weekday() >= 5 else month_w[d.month - 1]
    return w / w.sum()


def _draw_year(profile: _Profile, traits: _Traits, seed: int, year: int, n: int) -> _Year:
    doc, n_mun = profile.doc, profile.n_municipalities
    rng = np.random.default_rng([seed, year, 0])
    regions = np.array([i.region_code for i in profile.instances[:n_mun]])

    # How many cases per instance: excluded ones a few, municipalities by population with a
    # floor (small islands still have a handful) and their propensity to complain.
    n_ex = min(n // 50, max(3, round(n * doc["ekskluderede_instanser_andel"])))
    n_mun_cases = n - n_ex
    weight = np.maximum(profile.population, doc["befolkning_minimum"]) * traits.complain
    weight *= rng.lognormal(0.0, doc["klagetilboejelighed_aar_spredning"], n_mun)
    base = 1 if n_mun_cases >= 2 * n_mun else 0
    counts = base + rng.multinomial(n_mun_cases - base * n_mun, weight / weight.sum())
    excluded = np.arange(n_mun, len(profile.instances))
    ex_pick = np.concatenate([excluded, rng.choice(excluded, max(0, n_ex - len(excluded)))])[:n_ex]
    res = np.concatenate([np.repeat(np.arange(n_mun), counts), rng.permutation(ex_pick)])

    prov_w = np.array([p.weight for p in profile.provisions])
    prov = rng.choice(len(prov_w), n, p=prov_w / prov_w.sum())
    has_bl = np.array([bool(p.bl) for p in profile.provisions])
    law = np.where(has_bl[prov] & (rng.random(n) >= _sel_share(profile, year)), _BL, _SEL)
    day = rng.choice(len(w := _day_weights(profile, year)), n, p=w)

    # Who decides: the residence municipality, except where a cooperation arrangement makes
    # the host decide (Tårnby for Dragør, Ishøj for Vallensbæk) on its areas and dates.
    rate_class, member = _area_table(profile, year)
    inst = res.copy()
    code_idx = {i.code: k for k, i in enumerate(profile.instances[:n_mun])}
    jan1 = date(year, 1, 1)
    for a in profile.arrangements:
        in_area = np.zeros(n, dtype=bool)
        for slug in a.omraader:
            in_area |= member[slug][law, prov]
        lo = (a.gyldig_fra - jan1).days
        hi = 10**6 if a.gyldig_til is None else (a.gyldig_til - jan1).days
        moved = (res == code_idx[a.betjent]) & in_area & (day >= lo) & (day <= hi)
        inst[moved] = code_idx[a.vaert]

    # Bopælskommune: usually the deciding one's; citizens in a botilbud elsewhere keep their
    # original municipality as the deciding one; excluded instances get one of their region.
    bop = res.copy()
    botilbud = np.array([p.botilbud for p in profile.provisions])[prov]
    away = botilbud & (res < n_mun) & (rng.random(n) < doc["botilbud_anden_bopael_andel"])
    pop_p = profile.population / profile.population.sum()
    bop[away] = rng.choice(n_mun, int(away.sum()), p=pop_p)
    for k in np.flatnonzero(res >= n_mun):
        instance = profile.instances[res[k]]
        if instance.kind == "ikke_kommune":
            continue  # Christiansø: its residents live there
        pool = np.flatnonzero(regions == instance.region_code) if instance.region_code else None
        bop[k] = rng.choice(pool) if pool is not None and len(pool) else rng.choice(n_mun, p=pop_p)

    # Outcomes: afvist first, then omgjort or not around the area's national rate with the
    # deciding municipality's lasting propensity, this year's drift and noise.
    spread = doc["omgoerelse_spredning"]
    areas = ("socialomraadet", "boernehandicap", "voksenhandicap")
    base_logit = np.array([_logit(doc["omgoerelse"][a]["rate"]) for a in areas])
    hjem_share = np.array([doc["omgoerelse"][a]["hjemvist_andel"] for a in areas])
    cls = rate_class[law, prov]
    is_mun = inst < n_mun
    mun = np.where(is_mun, inst, 0)
    year_noise = rng.normal(0.0, spread["kommune_aar"], (n_mun, 3))
    offset = np.where(
        is_mun, traits.omg[mun] + traits.omg_area[mun, cls] + year_noise[mun, cls], 0.0
    )
    p_omg = _sigmoid(base_logit[cls] + rng.normal(0.0, spread["aar"]) + offset)
    p_afv = _sigmoid(_logit(doc["afvist_andel"]) + np.where(is_mun, traits.afvist[mun], 0.0))
    u = rng.random((3, n))
    outcome = np.full(n, _STADF, dtype=np.int8)
    omgjort = u[1] < p_omg
    outcome[omgjort] = np.where(u[2][omgjort] < hjem_share[cls[omgjort]], _HJEMVIST, _AENDRET)
    outcome[u[0] < p_afv] = _AFVIST

    # Sagsnummer follow the order cases were received (some weeks before the decision);
    # rows come in order of decision date, so neither order matches the other.
    seq = np.empty(n, dtype=np.int64)
    seq[np.argsort(day - rng.gamma(2.0, 45.0, n), kind="stable")] = np.arange(1, n + 1)
    order = np.lexsort((rng.random(n), day))
    return _Year(
        year,
        seq[order],
        inst[order],
        bop[order],
        law[order],
        prov[order],
        outcome[order],
        day[order],
    )


def _check_args(years: Sequence[int], cases_per_year: int) -> tuple[int, ...]:
    years_t = tuple(years)
    if not years_t:
        raise GeneratorError("years: at least one year is needed")
    for y in years_t:
        if not isinstance(y, int | np.integer) or not 2000 <= y <= 2100:
            raise GeneratorError(f"years: {y!r} is not a plausible year (2000-2100)")
    if len(set(years_t)) != len(years_t):
        raise GeneratorError(f"years: {years_t} repeats a year")
    if not isinstance(cases_per_year, int | np.integer) or cases_per_year < 1:
        raise GeneratorError(f"cases_per_year: {cases_per_year!r} must be a positive integer")
    return tuple(int(y) for y in years_t)


def _years(
    years: Sequence[int], cases_per_year: int, seed: int, config: ConfigSource | None
) -> Iterator[tuple[_Profile, _Year]]:
    years_t = _check_args(years, cases_per_year)
    profile = _profile(config)
    traits = _traits(profile, seed)
    for y in sorted(years_t):
        yield profile, _draw_year(profile, traits, seed, y, int(cases_per_year))


# --- spellings ----------------------------------------------------------------------------


class _Vocab:
    """The distinct strings of an extract; rows are built from integer ids into it."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._ids: dict[str, int] = {}

    def id(self, s: str) -> int:
        if s not in self._ids:
            self._ids[s] = len(self.strings)
            self.strings.append(s)
        return self._ids[s]

    def table(self, quote_for: str | None) -> np.ndarray:
        """The strings as an object array, CSV-quoted where they hold the separator."""
        out = np.empty(len(self.strings), dtype=object)
        for i, s in enumerate(self.strings):
            out[i] = _quote(s, quote_for) if quote_for else s
        return out


def _quote(s: str, sep: str) -> str:
    if sep in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


class _Choice:
    """Weighted spellings per entity, picked for many rows at once."""

    def __init__(self, vocab: _Vocab, options: Sequence[Sequence[tuple[str, float]]]):
        k = max(len(o) for o in options)
        self.ids = np.zeros((len(options), k), dtype=np.int64)
        self.cum = np.full((len(options), k), np.inf)
        for e, opts in enumerate(options):
            total = sum(w for _, w in opts)
            acc = 0.0
            for j, (s, w) in enumerate(opts):
                acc += w / total
                self.ids[e, j] = vocab.id(s)
                self.cum[e, j] = acc
            self.cum[e, len(opts) - 1] = np.inf
            self.ids[e, len(opts) :] = self.ids[e, len(opts) - 1]

    def pick(self, entity: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.ids[entity, (u[:, None] >= self.cum[entity]).sum(axis=1)]


@dataclass
class _Spellings:
    vocab: _Vocab
    instance: _Choice
    law: _Choice
    paragraph: _Choice  # entity = law * n_provisions + provision
    outcome: _Choice


def _spellings(profile: _Profile, vocab: _Vocab) -> _Spellings:
    doc = profile.doc
    return _Spellings(
        vocab=vocab,
        instance=_Choice(vocab, [i.forms for i in profile.instances]),
        law=_Choice(vocab, [_weighted(doc["love"][law], f"love.{law}") for law in _LAWS]),
        paragraph=_Choice(
            vocab,
            [p.sel for p in profile.provisions] + [p.bl or p.sel for p in profile.provisions],
        ),
        outcome=_Choice(
            vocab, [_weighted(doc["afgoerelser"][o], f"afgoerelser.{o}") for o in OUTCOMES]
        ),
    )


def _case_columns(profile: _Profile, sp: _Spellings, y: _Year, seed: int) -> list[np.ndarray]:
    """Vocab ids of the six text columns after Sagsnummer, one array per column."""
    rng = np.random.default_rng([seed, y.year, 1])
    n = len(y)
    u = rng.random((6, n))
    n_prov = len(profile.provisions)
    formats = _weighted(profile.doc["datoformater"], "datoformater")
    start = date(y.year, 1, 1)
    n_days = (date(y.year + 1, 1, 1) - start).days
    date_ids = np.array(
        [
            [sp.vocab.id((start + timedelta(days=d)).strftime(f)) for f, _ in formats]
            for d in range(n_days)
        ]
    )
    fmt_cum = np.cumsum([w for _, w in formats]) / sum(w for _, w in formats)
    fmt = np.minimum(np.searchsorted(fmt_cum, u[5], side="right"), len(formats) - 1)
    return [
        sp.instance.pick(y.inst, u[0]),
        sp.instance.pick(y.bop, u[1]),
        sp.law.pick(y.law, u[2]),
        sp.paragraph.pick(y.law * n_prov + y.prov, u[3]),
        sp.outcome.pick(y.outcome, u[4]),
        date_ids[y.day, fmt],
    ]


def _case_numbers(y: _Year) -> list[str]:
    width = max(6, len(str(len(y))))
    prefix = f"{y.year % 100:02d}-"
    return [f"{prefix}{s:0{width}d}" for s in y.seq.tolist()]


def _aggregate(
    profile: _Profile, sp: _Spellings, y: _Year, seed: int
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Counts per instance × law × provision × quarter (rows in that order) and the vocab ids
    of their Instans, Lov and Paragraf spellings."""
    n_prov = len(profile.provisions)
    quarter = _quarters(y.year)[y.day]
    key = ((y.inst.astype(np.int64) * 2 + y.law) * n_prov + y.prov) * 4 + quarter
    n_keys = len(profile.instances) * 2 * n_prov * 4
    counts = np.bincount(key * 4 + y.outcome, minlength=n_keys * 4).reshape(n_keys, 4)
    keys = np.flatnonzero(counts.sum(axis=1))
    counts = counts[keys]
    quarter_k = keys % 4
    prov_k = (keys // 4) % n_prov
    law_k = (keys // (4 * n_prov)) % 2
    inst_k = keys // (4 * n_prov * 2)
    rng = np.random.default_rng([seed, y.year, 2])
    u = rng.random((3, len(keys)))
    cols = [
        sp.instance.pick(inst_k, u[0]),
        sp.law.pick(law_k, u[1]),
        sp.paragraph.pick(law_k * n_prov + prov_k, u[2]),
    ]
    return cols, quarter_k + 1, counts


@cache
def _quarters(year: int) -> np.ndarray:
    start = date(year, 1, 1)
    n_days = (date(year + 1, 1, 1) - start).days
    return np.array([((start + timedelta(days=d)).month - 1) // 3 for d in range(n_days)])


# --- public API ---------------------------------------------------------------------------


def generate_cases(
    *,
    years: Sequence[int] = DEFAULT_YEARS,
    cases_per_year: int = 10_000,
    seed: int = 2024,
    config: ConfigSource | None = None,
) -> Iterator[tuple[str, ...]]:
    """Case-level rows (shape B, without header) as they would be written: all text.

    ``config`` (a ConfigSource such as ``DirSource``) overrides the bundled area mapping and
    cooperation arrangements, as ``--config`` does for the real computation.
    """
    vocab = _Vocab()
    sp: _Spellings | None = None
    for profile, y in _years(years, cases_per_year, seed, config):
        sp = sp or _spellings(profile, vocab)
        cols = _case_columns(profile, sp, y, seed)
        table = vocab.table(None)
        yield from zip(_case_numbers(y), *(table[c].tolist() for c in cols), strict=True)


def generate_aggregated(
    *,
    years: Sequence[int] = DEFAULT_YEARS,
    cases_per_year: int = 10_000,
    seed: int = 2024,
    config: ConfigSource | None = None,
) -> Iterator[tuple[str | int, ...]]:
    """Aggregated rows (shape A, without header): the same cases as ``generate_cases`` with
    the same arguments, summed per instance × provision × year × quarter."""
    vocab = _Vocab()
    sp: _Spellings | None = None
    for profile, y in _years(years, cases_per_year, seed, config):
        sp = sp or _spellings(profile, vocab)
        cols, quarter, counts = _aggregate(profile, sp, y, seed)
        table = vocab.table(None)
        texts = [table[c].tolist() for c in cols]
        for inst, law, par, q, c in zip(*texts, quarter.tolist(), counts.tolist(), strict=True):
            yield (inst, law, par, y.year, q, *c, sum(c))


def _csv_blocks(
    shape: Shape,
    sep: str,
    newline: str,
    years: Sequence[int],
    cases_per_year: int,
    seed: int,
    config: ConfigSource | None,
) -> Iterator[str]:
    """The CSV text in blocks; rows are joined from pre-quoted vocab strings (fast)."""
    header = CASE_HEADER if shape == "cases" else AGGREGATED_HEADER
    yield sep.join(_quote(h, sep) for h in header) + newline
    vocab = _Vocab()
    sp: _Spellings | None = None
    for profile, y in _years(years, cases_per_year, seed, config):
        sp = sp or _spellings(profile, vocab)
        if shape == "cases":
            cols = _case_columns(profile, sp, y, seed)
            table = vocab.table(sep)
            texts = [_case_numbers(y)] + [table[c].tolist() for c in cols]
        else:
            agg_cols, quarter, counts = _aggregate(profile, sp, y, seed)
            table = vocab.table(sep)
            numbers = np.column_stack(
                [np.full(len(quarter), y.year), quarter, counts, counts.sum(axis=1)]
            )
            texts = [table[c].tolist() for c in agg_cols]
            texts.append([sep.join(map(str, r)) for r in numbers.tolist()])
        rows = list(map(sep.join, zip(*texts, strict=True)))
        for i in range(0, len(rows), _CHUNK):
            yield newline.join(rows[i : i + _CHUNK]) + newline


def _normalise(shape: str, fmt: str, encoding: str, sep: str) -> tuple[str, str]:
    if shape not in ("cases", "aggregated"):
        raise GeneratorError(f"shape: {shape!r} must be 'cases' or 'aggregated'")
    if fmt not in ("csv", "xlsx"):
        raise GeneratorError(f"fmt: {fmt!r} must be 'csv' or 'xlsx'")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise GeneratorError(f"encoding: {encoding!r} is unknown") from exc
    codec = {"windows-1252": "cp1252", "utf_8": "utf-8", "utf_8_sig": "utf-8-sig"}.get(codec, codec)
    if codec not in _ENCODINGS:
        raise GeneratorError(f"encoding: {encoding!r} must be utf-8, utf-8-sig or cp1252")
    if sep not in _SEPARATORS:
        raise GeneratorError(f"sep: {sep!r} must be ';', ',' or a tab")
    return codec, sep


class _Options(TypedDict):
    """What every generator takes besides the shape and the file format."""

    years: Sequence[int]
    cases_per_year: int
    seed: int
    config: ConfigSource | None


def write_extract(
    target: str | Path | IO[bytes],
    *,
    shape: Shape = "cases",
    fmt: Format = "csv",
    encoding: str = "utf-8",
    sep: str = ";",
    newline: str | None = None,
    years: Sequence[int] = DEFAULT_YEARS,
    cases_per_year: int = 10_000,
    seed: int = 2024,
    config: ConfigSource | None = None,
) -> int:
    """Write a sample extract to a path or binary file; returns the number of data rows.

    CSV is streamed in blocks (a million rows take a few seconds and little memory). The
    line ending defaults to CRLF for cp1252 and utf-8-sig (what Windows tools write) and LF
    for utf-8. XLSX (first sheet, write-only openpyxl) ignores encoding, sep and newline and
    holds what Excel would: dates as date cells, counts, years and numeric kommunekoder as
    numbers, the rest as text.
    """
    codec, sep = _normalise(shape, fmt, encoding, sep)
    _check_args(years, cases_per_year)
    if isinstance(target, str | Path):
        with open(target, "wb") as fh:
            return write_extract(
                fh,
                shape=shape,
                fmt=fmt,
                encoding=encoding,
                sep=sep,
                newline=newline,
                years=years,
                cases_per_year=cases_per_year,
                seed=seed,
                config=config,
            )
    opts: _Options = {
        "years": years,
        "cases_per_year": cases_per_year,
        "seed": seed,
        "config": config,
    }
    if fmt == "xlsx":
        return _write_xlsx(target, shape, opts)
    if newline is None:
        newline = "\n" if codec == "utf-8" else "\r\n"
    if newline not in ("\n", "\r\n"):
        raise GeneratorError(f"newline: {newline!r} must be '\\n' or '\\r\\n'")
    if codec == "utf-8-sig":
        target.write(codecs.BOM_UTF8)
        codec = "utf-8"
    rows = -1  # the header is the first line
    for block in _csv_blocks(shape, sep, newline, **opts):
        target.write(block.encode(codec))
        rows += block.count(newline)
    return rows


def _write_xlsx(target: IO[bytes], shape: Shape, opts: _Options) -> int:
    from openpyxl import Workbook  # only the XLSX path needs it

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Udtræk")
    if shape == "cases":
        ws.append(list(CASE_HEADER))
        rows: Iterator[tuple[Any, ...]] = generate_cases(**opts)
    else:
        ws.append(list(AGGREGATED_HEADER))
        rows = generate_aggregated(**opts)
    n = 0
    for row in rows:
        ws.append(_as_cells(row) if shape == "cases" else list(row))
        n += 1
    wb.save(target)
    return n


def _as_cells(row: tuple[str, ...]) -> list[object]:
    """A case row as Excel holds it: dates as date cells, numeric kommunekoder as numbers."""
    cells: list[object] = list(row)
    for i in (1, 2):
        if row[i].isdigit():
            cells[i] = int(row[i])
    text = row[6]
    if text[4] == "-":
        cells[6] = date.fromisoformat(text)
    else:
        cells[6] = date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    return cells


def extract_bytes(
    *,
    shape: Shape = "cases",
    fmt: Format = "csv",
    encoding: str = "utf-8",
    sep: str = ";",
    newline: str | None = None,
    years: Sequence[int] = DEFAULT_YEARS,
    cases_per_year: int = 10_000,
    seed: int = 2024,
    config: ConfigSource | None = None,
) -> bytes:
    """The same extract as ``write_extract`` writes, as bytes."""
    buf = io.BytesIO()
    write_extract(
        buf,
        shape=shape,
        fmt=fmt,
        encoding=encoding,
        sep=sep,
        newline=newline,
        years=years,
        cases_per_year=cases_per_year,
        seed=seed,
        config=config,
    )
    return buf.getvalue()


def correct_extract(original: Path, target: Path, year: int, extra: dict[str, int]) -> int:
    """`original` (a case-level extract of `year` as write_extract writes it) with `extra[k]`
    more hjemviste cases decided for kommunekode k, numbered after the existing ones: what a
    later extract with late registrations looks like. Returns the number of data rows."""
    lines = original.read_text(encoding="utf-8").splitlines()
    rows = len(lines) - 1
    width = max(6, len(str(rows + sum(extra.values()))))
    day = min(date(year, 11, 15), date.today()).isoformat()
    codes = [code for code, n in extra.items() for _ in range(n)]
    added = [
        f"{year % 100:02d}-{rows + 1 + i:0{width}d};{code};{code};Serviceloven;§ 85;"
        f"Hjemvisning;{day}"
        for i, code in enumerate(codes)
    ]
    target.write_text("\n".join([*lines, *added]) + "\n", encoding="utf-8")
    return rows + len(added)
