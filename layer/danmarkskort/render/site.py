"""The whole published site from one figures document: plain data in, files (bytes) out.

Layout (paths relative to the site root):

- ``v/<version>/…`` the complete, self-contained site of one extract (immutable):
  ``index.html`` (latest year), ``<aar>/index.html``, ``<aar>/kort/<omraade>.svg|.html``
  (map snippets), ``<aar>/data/omgoerelser-<aar>.csv|.json|.xlsx`` (open data: CSV and
  JSON for machines, XLSX with Danish headers for people; the current figures also at the
  stable ``data/omgoerelser-<aar>.csv|.xlsx`` and ``data/omgoerelser.csv``; the remarks
  and the municipalities' own comments in ``data/bemaerkninger.csv``),
  ``kommune/<kode>-<slug>.html``, ``laesevejledning.html``, ``static/…``.
- entry points at the root (``index.html``, ``<aar>/…``, ``kommune/…``,
  ``laesevejledning.html``): the same pages, linking into ``v/<version>/``; the publisher
  writes them only after every versioned file, so readers switch version in one step.

Every rate, interval and change is shown by one rule (text.shown_figure), the same as in
the mails; the open data carry the unrounded figures and the shown ones side by side. The
national figure is named by its own ``kommune`` ('Hele landet', or what a deliberately
partial extract covers), never by a literal.

No AWS here: render/publish.py writes what this returns through a ports.BlobStore.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from danmarkskort import council_pdf, xlsx_writer
from danmarkskort import text as fmt
from danmarkskort.domain import beneficiaries as dst
from danmarkskort.domain import comparison
from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.beneficiaries import BeneficiaryTable, PerMap, Shown
from danmarkskort.domain.figures import FIELDS, Figure, FiguresDoc, Provision, csv_cell
from danmarkskort.domain.municipalities import NATIONAL_CODE, Municipality, registry
from danmarkskort.domain.record import ChangeEntry, Correction, correction_text
from danmarkskort.domain.remarks import Remark, RemarkBook
from danmarkskort.log import child_logger
from danmarkskort.render.geometry import LABEL_SIZE, MapGeometry
from danmarkskort.render.publisher import STATEMENT_PAGE, Publisher, bundled_publisher
from danmarkskort.render.style import MapStyle
from danmarkskort.templates import with_built_bytecode

# data/bemaerkninger.csv: the remarks and comments on the published figures, one row each.
REMARKS_CSV = "data/bemaerkninger.csv"
REMARK_FIELDS = ("type", "kommunekode", "kommune", "omraader", "aar", "kilde", "tekst")

VERSION_PREFIX = "v/"
IMMUTABLE = "public, max-age=31536000, immutable"
ENTRY = "public, max-age=60, must-revalidate"
STATIC_FILES = ("site.css", "site.js")
KIND_LABELS = {
    "samarbejde": "Samarbejde mellem kommuner",
    "bemaerkning": "Bemærkning",
    "kommentar": "Kommunens kommentar",
}


class RenderError(ValueError):
    """The figures cannot be published as they are; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class SiteFile:
    path: str  # relative to the version root (versioned) or the site root (entry points)
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Site:
    version: str
    files: tuple[SiteFile, ...]  # under v/<version>/
    entry_points: tuple[SiteFile, ...]  # at the site root, written last
    links: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{VERSION_PREFIX}{self.version}/"


def version_for(doc: FiguresDoc) -> str:
    """Deterministic per extract, so a redelivered event rewrites the same version."""
    return doc.extract_id[:16]


def municipality_path(m: Municipality) -> str:
    return f"kommune/{m.code}-{m.slug}.html"


# --- the figures, indexed ------------------------------------------------------------------


class _Index:
    def __init__(self, doc: FiguresDoc, mapping: Mapping) -> None:
        self.doc = doc
        self.years = sorted(doc.years or {f.aar for f in doc.figures})
        areas = list(doc.areas or dict.fromkeys(f.omraade for f in doc.figures))
        unknown = [a for a in areas if a not in mapping.slugs]
        if unknown:
            raise RenderError(f"figures name area(s) the mapping does not know: {unknown}")
        self.areas = [a for a in mapping.slugs if a in areas]
        self.by_key: dict[tuple[int, str, str], Figure] = {}
        for f in doc.figures:
            self.by_key[(f.aar, f.omraade, f.kommunekode)] = f
        missing = [
            f"{aar}/{omraade}/{code}"
            for aar in self.years
            for omraade in self.areas
            for code in [NATIONAL_CODE, *(m.code for m in registry().municipalities)]
            if (aar, omraade, code) not in self.by_key
        ]
        if missing:
            raise RenderError(
                f"figures are incomplete: {len(missing)} (year/area/municipality) records are "
                f"missing, e.g. {', '.join(missing[:5])}"
            )

    def get(self, aar: int, omraade: str, code: str) -> Figure:
        return self.by_key[(aar, omraade, code)]

    def shown(self, f: Figure) -> fmt.ShownFigure:
        """The figure as every page, snippet and mail shows it."""
        return fmt.shown_figure(f, self.by_key.get((f.aar - 1, f.omraade, f.kommunekode)))

    def previous(self, aar: int) -> int | None:
        """The year before, when the extract has it: aendring_pp is only ever against aar - 1,
        so with a gap (2022, 2024) there is nothing to compare 2024 with."""
        return aar - 1 if aar - 1 in self.years else None


# --- templates --------------------------------------------------------------------------


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("danmarkskort.render", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "svg", "xml"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=fmt.pct,
        pct_range=fmt.pct_range,
        pp=fmt.pp,
        pp_short=fmt.pp_short,
        lower_first=fmt.lower_first,
        num=fmt.number,
        sager=fmt.cases,
        dato=fmt.long_date,
    )
    return with_built_bytecode(env, "danmarkskort.render")


def _static(name: str) -> bytes:
    return resources.files("danmarkskort.render").joinpath("static", name).read_bytes()


# --- view models ------------------------------------------------------------------------


def _split(f: Figure) -> list[dict[str, Any]]:
    """Stadfæstet / hjemvist / ændret-ophævet as shares of realitetsbehandlede."""
    n = f.realitetsbehandlede
    parts = [
        ("aendret", "Ændret/ophævet", f.aendret_ophaevet),
        ("hjemvist", "Hjemvist", f.hjemvist),
        ("stadfaestet", "Stadfæstet", f.stadfaestet),
    ]
    return [
        {"key": k, "label": label, "n": v, "share": (100.0 * v / n) if n else None}
        for k, label, v in parts
    ]


def _figure_view(
    f: Figure, shown: fmt.ShownFigure, national: Figure | None = None
) -> dict[str, Any]:
    """A figure's shown texts (text.shown_figure); ``national`` is the year's national figure."""
    verdict = comparison.verdict(f, national) if national is not None else None
    return {
        "f": f,
        "rate": fmt.pct(f.omgoerelsesprocent),
        "n": f.realitetsbehandlede,
        "split": _split(f),
        "ci": fmt.pct_range(f.ci_lav, f.ci_hoej),
        "change": fmt.pp(shown.change),
        "change_short": fmt.pp_short(shown.change),
        "name": fmt.national_name(f),  # read for the national figure only
        "national": national,
        "national_name": fmt.national_name(national),
        "national_rate": fmt.pct(national.omgoerelsesprocent) if national else "–",
        "verdict": verdict,
        "comparison": comparison.sentence(verdict, fmt.national_name(national)),
    }


def _tooltip(
    name: str,
    f: Figure,
    shown: fmt.ShownFigure,
    area_name: str,
    remarks: list[Remark],
    threshold: int,
    verdict: comparison.Verdict | None = None,
    beneficiaries: Shown | None = None,
) -> list[str]:
    lines = [name]
    if f.realitetsbehandlede == 0:
        lines.append(f"{area_name} {f.aar}: ingen realitetsbehandlede sager")
    else:
        lines.append(
            f"{fmt.pct(f.omgoerelsesprocent)} omgjort af {fmt.cases(f.realitetsbehandlede)}"
        )
        if f.lav_n:
            lines.append(f"Få sager (under {threshold}): procenten er meget usikker")
        lines.append(
            f"Ændret/ophævet {f.aendret_ophaevet} · hjemvist {f.hjemvist} · "
            f"stadfæstet {f.stadfaestet}"
        )
        if shown.change is not None:
            lines.append(f"Ændring fra {f.aar - 1}: {fmt.pp(shown.change)}")
        if verdict:
            lines.append(comparison.short(verdict))
    if beneficiaries is not None:
        lines.extend(beneficiaries.tooltip)
    lines.extend(_tip_remark(r) for r in remarks)
    return lines


def _tip_remark(r: Remark) -> str:
    """A remark as a tooltip line: a municipality's own comment is said to be its words
    ('Dragør Kommunes kommentar: …'), so it is never read as the ministry's."""
    if r.kind == "kommentar":
        owner = r.kilde if r.kilde.endswith("s") else f"{r.kilde}s"
        return f"{owner} kommentar: {r.text}"
    return r.text


class _Renderer:
    def __init__(
        self,
        doc: FiguresDoc,
        *,
        remarks: RemarkBook,
        mapping: Mapping,
        geometry: MapGeometry,
        style: MapStyle,
        site_url: str,
        version: str,
        published: str,
        provenance: dict[int, dict[str, str]] | None = None,
        changelog: tuple[ChangeEntry, ...] = (),
        publisher: Publisher | None = None,
        beneficiaries: BeneficiaryTable | None = None,
    ) -> None:
        self.ix = _Index(doc, mapping)
        self.beneficiaries = beneficiaries
        self.per_map = PerMap(beneficiaries, doc.figures) if beneficiaries is not None else None
        self.pdf_sizes: dict[str, int] = {}  # the council PDFs made, by path
        self.publisher = publisher or bundled_publisher()
        self.provenance = provenance or {}
        self.changelog = changelog
        self.doc = doc
        self.remarks = remarks
        self.mapping = mapping
        self.geometry = geometry
        self.style = style
        self.site_url = site_url.rstrip("/")
        self.version = version
        self.env = environment()
        self.reg = registry()
        self.latest = self.ix.years[-1]
        self.common = {
            "doc": doc,
            "years": self.ix.years,
            "latest": self.latest,
            "areas": [mapping.area(a) for a in self.ix.areas],
            "style": style,
            "threshold": doc.lav_n_threshold,
            "extract_date": fmt.long_date(doc.received),
            "published": fmt.long_date(published),
            "version": version,
            "kind_labels": KIND_LABELS,
            "municipalities": sorted(self.reg.municipalities, key=lambda m: m.name),
            "municipality_path": municipality_path,
            "geometry_kind": geometry.kind,
            "geometry_attribution": geometry.attribution,
            "has_corrections": bool(changelog),
            "publisher": self.publisher,
            "statement_page": STATEMENT_PAGE,
        }
        self._maps: dict[tuple[int, str], dict[str, Any]] = {}
        self.provisions_by_code: dict[str, list[Provision]] = {}
        for p in doc.provisions:
            self.provisions_by_code.setdefault(p.kommunekode, []).append(p)

    # the map of one (year, area) as plain data; rendered into pages and snippets
    def map_view(self, aar: int, omraade: str) -> dict[str, Any]:
        key = (aar, omraade)
        if key in self._maps:
            return self._maps[key]
        area = self.mapping.area(omraade)
        uid = f"k{aar}-{omraade}"
        national = self.ix.get(aar, omraade, NATIONAL_CODE)
        items: list[dict[str, Any]] = []  # template data, one entry per shape
        for shape in (*self.geometry.background, *self.geometry.shapes):
            m = self.reg.by_code(shape.code)
            f = self.ix.get(aar, omraade, shape.code)
            cls = self.style.classify(f.omgoerelsesprocent)
            if cls is None:
                fill, text, pattern = f"url(#{uid}-ingen)", self.style.none_text, "ingen"
            elif f.lav_n:
                fill, text, pattern = f"url(#{uid}-lavn{cls.index})", cls.tekst, "lavn"
            else:
                fill, text, pattern = cls.farve, cls.tekst, ""
            remarks = self.remarks.for_municipality(shape.code, aar, omraade)
            shown = self.ix.shown(f)
            verdict = comparison.verdict(f, national)
            tip = _tooltip(
                m.name,
                f,
                shown,
                area.navn,
                remarks,
                self.doc.lav_n_threshold,
                verdict,
                self.recipients(f, m),
            )
            # Worked out here once, not per tile in the templates: the map of each year and
            # area is drawn six times (year page, SVG, HTML; versioned and entry point).
            marks = "ingen" if pattern == "ingen" else f"klasse-{cls.index if cls else -1}"
            items.append(
                {
                    "shape": shape,
                    "m": m,
                    "f": f,
                    "href": municipality_path(m),
                    "fill": fill,
                    "text": text,
                    "pattern": pattern,
                    "cls": cls.index if cls else -1,
                    "short": fmt.pct_number(f.omgoerelsesprocent),
                    "ci": fmt.pct_range(f.ci_lav, f.ci_hoej),
                    "change_short": fmt.pp_short(shown.change),
                    "tip": tip,
                    "tip_text": "\n".join(tip),
                    "marks": marks + (" lavn" if pattern == "lavn" else ""),
                    # A hatched or dotted tile's text gets a halo of the tile's own colour.
                    "halo": self.style.none_fill
                    if pattern == "ingen"
                    else cls.farve
                    if cls and pattern == "lavn"
                    else "",
                    "label_style": f"font-size:{shape.label_size}px"
                    if shape.label and shape.label_size < LABEL_SIZE
                    else "",
                    "has_remark": bool(remarks),
                    "verdict": verdict,
                    "verdict_table": comparison.TABLE.get(verdict or "", "–"),
                }
            )
        view: dict[str, Any] = {
            "uid": uid,
            "aar": aar,
            "area": area,
            "geometry": self.geometry,
            "felter": items,
            "national": _figure_view(national, self.ix.shown(national)),
            "title": f"Omgørelsesprocent {aar}: {area.navn.lower()}",
            "table": sorted(
                (it for it in items if it["shape"].primary), key=lambda it: it["m"].name
            ),
        }
        view["content"] = _MapContent(self.env, view, self.style)
        self._maps[key] = view
        return view

    def recipients(self, f: Figure, m: Municipality) -> Shown | None:
        """Danmarks Statistik's recipients beside a municipality's figure; None without the
        input (absent or rejected: the figures are shown without it)."""
        if self.per_map is None:
            return None
        national = self.ix.get(f.aar, f.omraade, NATIONAL_CODE)
        return self.per_map.shown(f, m.name, fmt.national_name(national))

    def _page(self, template: str, base: str, canonical: str | None = None, **ctx: Any) -> bytes:
        """A page; ``canonical`` is its stable path from the site root (an entry point, never
        under v/<version>/), declared so that shared links and search engines land on the
        current figures. Snippets have none: they are embedded elsewhere."""
        href = None
        if canonical is not None:
            page = "" if canonical == "index.html" else canonical
            if self.site_url:
                href = f"{self.site_url}/{page}"
            elif base == _BASE:
                href = _ROOT + page if page else _HOME
            else:
                href = _home(_root(base, self.version) + page)
        return (
            self.env.get_template(template)
            .render(**self.common, base=base, canonical=href, **ctx)
            .encode("utf-8")
        )

    def _snippet_base(self, depth_base: str) -> str:
        """Snippets are embedded on other sites: absolute links when the site URL is known."""
        if self.site_url:
            return f"{self.site_url}/{VERSION_PREFIX}{self.version}/"
        return depth_base

    # --- the pages ---
    def year_page(self, aar: int, base: str, path: str = "") -> bytes:
        prev = self.ix.previous(aar)
        sections = []
        for omraade in self.ix.areas:
            view = self.map_view(aar, omraade)
            national = self.ix.get(aar, omraade, NATIONAL_CODE)
            prev_nat = self.ix.get(prev, omraade, NATIONAL_CODE) if prev else None
            counts = {"lav_n": 0, "ingen": 0}
            for it in view["table"]:
                if it["f"].realitetsbehandlede == 0:
                    counts["ingen"] += 1
                elif it["f"].lav_n:
                    counts["lav_n"] += 1
            sections.append(
                {
                    "map": view,
                    "nat": _figure_view(national, self.ix.shown(national)),
                    "prev_nat": prev_nat,
                    "counts": counts,
                    "funnel": _funnel(view, national),
                }
            )
        corrected = [
            {"date": fmt.long_date(e.applied), "n": _municipalities_in(e), "anchor": _anchor(e)}
            for e in self.changelog
            if e.aar == aar
        ]
        return self._page(
            "aar.html",
            base,
            path or f"{aar}/index.html",
            aar=aar,
            prev=prev,
            sections=sections,
            corrected=corrected,
        )

    def snippet_svg(self, aar: int, omraade: str, base: str) -> bytes:
        view = self.map_view(aar, omraade)
        return self._page("kort.svg", self._snippet_base(base), map=view)

    def snippet_html(self, aar: int, omraade: str, base: str) -> bytes:
        view = self.map_view(aar, omraade)
        return self._page("kort_fragment.html", self._snippet_base(base), map=view)

    def municipality_page(self, m: Municipality, base: str) -> bytes:
        from danmarkskort.render.charts import trend_chart

        areas = []
        for omraade in self.ix.areas:
            rows = []
            for aar in self.ix.years:
                f = self.ix.get(aar, omraade, m.code)
                nat = self.ix.get(aar, omraade, NATIONAL_CODE)
                rows.append(_figure_view(f, self.ix.shown(f), nat))
            # The national figure's label may differ by year (a partial extract names what
            # it covers): one label heads the column, several are named in each cell.
            names = list(dict.fromkeys(r["national_name"] for r in rows))
            areas.append(
                {
                    "area": self.mapping.area(omraade),
                    "latest": rows[-1],
                    "rows": rows,
                    "national_names": names,
                    "national_caption": fmt.join_and([fmt.lower_first(n) for n in names]),
                    "chart": trend_chart([r["f"] for r in rows], [r["national"] for r in rows]),
                    "remarks": self.remarks.for_municipality(m.code, self.latest, omraade),
                    "provisions": self._provisions(m.code, self.latest, omraade),
                    "pooled": self._pooled(rows),
                    "modtagere": self.recipients(rows[-1]["f"], m),
                }
            )
        remarks = self._remarks_over_years(m.code)
        corrected = [
            {"date": fmt.long_date(e.applied), "anchor": _anchor(e), "line": self._change(c)}
            for e in self.changelog
            for c in e.corrections
            if c.kommunekode == m.code
        ]
        pdf = council_pdf.site_path(m)
        size = self.pdf_sizes.get(pdf)
        return self._page(
            "kommune.html",
            base,
            municipality_path(m),
            m=m,
            area_views=areas,
            remarks=remarks,
            corrected=corrected,
            pdf={"href": pdf, "kb": fmt.number(max(1, round(size / 1024)))} if size else None,
        )

    def _pooled(self, rows: list[dict[str, Any]]) -> dict[str, str] | None:
        """Beside a newest year of few cases: the last three published years together."""
        latest = rows[-1]["f"]
        if not latest.lav_n:
            return None
        recent = [r["f"] for r in rows if r["f"].aar > latest.aar - comparison.POOLED_YEARS]
        p = comparison.pooled(recent)
        if p is None:
            return None
        return {
            "years": fmt.year_span(list(p.years)),
            "rate": fmt.pct(p.rate),
            "n": fmt.cases(p.n),
            "ci": fmt.pct_range(*p.ci),
        }

    def _provisions(self, code: str, aar: int, omraade: str) -> list[dict[str, Any]]:
        """What drives the rate: the year's cases of the area per provision (as the extract
        named it, one label per parsed provision), the most cases first."""
        rows: list[dict[str, Any]] = []
        for p in self.provisions_by_code.get(code, ()):
            if p.aar != aar or omraade not in p.omraader:
                continue
            n = p.realitetsbehandlede
            if not n and not p.afvist:
                continue
            law = self.mapping.law_for(p.lov)
            rows.append(
                {
                    "label": f"{law.forkortelse if law else p.lov} {p.paragraf}",
                    "n": n,
                    "omgjort": p.omgjort,
                    "rate": fmt.pct(100.0 * p.omgjort / n) if n else "–",
                    "afvist": p.afvist,
                }
            )
        rows.sort(key=lambda r: (-r["n"], r["label"]))
        return rows

    def _change(self, c: Correction) -> str:
        return correction_text(self.mapping.area(c.omraade).navn, c.aar, c.old, c.new)

    def corrections_page(self, base: str) -> bytes:
        entries = []
        for e in sorted(self.changelog, key=lambda e: e.applied, reverse=True):
            rows = [
                {
                    "kommune": self.reg.by_code(c.kommunekode).full_name
                    if not c.old.is_national
                    else fmt.national_name(c.new),
                    "line": self._change(c),
                }
                for c in e.corrections
            ]
            entries.append(
                {
                    "aar": e.aar,
                    "date": fmt.long_date(e.applied),
                    "anchor": _anchor(e),
                    "extract_file": e.extract_file,
                    "extract_id": e.extract_id,
                    "rows": rows,
                }
            )
        return self._page("rettelser.html", base, "rettelser.html", entries=entries)

    def find_page(self, base: str) -> bytes:
        """Where 'Find din kommune' lands (also from the snippets, which have no script): every
        municipality as a link; site.js narrows the list to ?q= or opens the one match."""
        return self._page("find.html", base, "find.html")

    def statement_page(self, base: str) -> bytes:
        return self._page("tilgaengelighed.html", base, STATEMENT_PAGE)

    def _remarks_over_years(self, code: str) -> list[dict[str, Any]]:
        out = []
        for r, years in self.remarks.over_years(code, self.ix.years).items():
            span = fmt.year_span(years)  # 2022 og 2024, not 2022–2024
            slugs = [a for a in r.omraader if a in self.mapping.slugs]
            names = [self.mapping.area(a).navn.lower() for a in slugs]
            areas = fmt.join_and(names) if names else "alle områder"
            out.append({"r": r, "years": span, "areas": areas[:1].upper() + areas[1:]})
        return out

    def guide(self, base: str) -> bytes:
        arrangements = []
        for a in self.remarks.arrangements:
            arrangements.append(
                {
                    "vaert": self.reg.by_code(a.vaert),
                    "betjent": self.reg.by_code(a.betjent),
                    "omraader": fmt.join_and(
                        [self.mapping.area(s).navn.lower() for s in a.omraader]
                    ),
                    "fra": fmt.long_date(a.gyldig_fra),
                    "til": fmt.long_date(a.gyldig_til) if a.gyldig_til else None,
                }
            )
        return self._page(
            "laesevejledning.html",
            base,
            "laesevejledning.html",
            arrangements=arrangements,
            modtagere=self.per_map is not None,
        )

    def _year_figures(self, years: list[int]) -> list[Figure]:
        """These years' figures in year, area and code order (the country first)."""
        figs = [f for f in self.doc.figures if f.aar in years]
        figs.sort(key=lambda f: (f.aar, self.ix.areas.index(f.omraade), f.kommunekode))
        return figs

    def _shown_values(self, f: Figure) -> tuple[int | None, ...]:
        """The SHOWN_FIELDS of a figure: what the pages and mails show for it."""
        s = self.ix.shown(f)
        return (s.rate, s.ci_lav, s.ci_hoej, s.change)

    def _recipient_values(self, f: Figure) -> tuple[int | float | None, ...]:
        """The open data's recipients columns (dst.OPEN_DATA_FIELDS); none without the input."""
        return self.per_map.values(f) if self.per_map is not None else ()

    def _source(self, aar: int) -> dict[str, str]:
        """The extract this year's figures come from (not always this publication's)."""
        source = self.provenance.get(aar, {})
        return {
            "extract_id": source.get("extract_id", self.doc.extract_id),
            "extract_file": source.get("extract_file", self.doc.extract_file),
            "received": source.get("received", self.doc.received),
        }

    def open_data_csv(self, years: list[int]) -> bytes:
        """For machines: the figures contract's columns in full precision (',' separator, '.'
        decimal, UTF-8 with BOM), then the values as shown on the pages (SHOWN_FIELDS)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        extra = dst.OPEN_DATA_FIELDS if self.per_map is not None else ()
        writer.writerow((*FIELDS, *SHOWN_FIELDS, *extra))
        for f in self._year_figures(years):
            writer.writerow(
                [
                    *(csv_cell(getattr(f, name)) for name in FIELDS),
                    *(csv_cell(v) for v in self._shown_values(f)),
                    *(csv_cell(v) for v in self._recipient_values(f)),
                ]
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def remarks_csv(self) -> bytes:
        """Every remark on the published figures, the municipalities' own comments among
        them, as open data: plain text as written, a formula-looking start neutralised
        (the text may come from anyone with a comment link)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REMARK_FIELDS)
        for m in self.reg.municipalities:
            for r, years in self.remarks.over_years(m.code, self.ix.years).items():
                writer.writerow(
                    [
                        xlsx_writer.neutralise(v) if isinstance(v, str) else v
                        for v in (
                            r.kind,
                            m.code,
                            m.name,
                            " ".join(r.omraader),
                            " ".join(str(y) for y in sorted(years)),
                            r.kilde,
                            r.text,
                        )
                    ]
                )
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def open_data_xlsx(self, aar: int) -> bytes:
        """For people: the year's figures under Danish headers, as shown and unrounded, with
        a sheet saying where they come from and how they are rounded (as the mails' XLSX)."""
        columns = (
            "År",
            "Område",
            "Kommunekode",
            "Kommune",
            *xlsx_writer.figure_columns(self.doc.lav_n_threshold),
            *xlsx_writer.UNROUNDED_COLUMNS,
            *(dst.COLUMNS if self.per_map is not None else ()),
        )
        rows = tuple(
            (
                f.aar,
                self.mapping.area(f.omraade).navn,
                f.kommunekode,
                f.kommune,
                *xlsx_writer.figure_cells(f, self.ix.shown(f)),
                *xlsx_writer.unrounded_cells(f),
                *self._recipient_values(f),
            )
            for f in self._year_figures([aar])
        )
        source = self._source(aar)
        about = xlsx_writer.about_table(
            extract_file=source["extract_file"],
            extract_id=source["extract_id"],
            received=source["received"],
            software_version=self.doc.software_version,
            threshold=self.doc.lav_n_threshold,
        )
        table = xlsx_writer.Table(f"Omgørelsesprocenter {aar}", columns, rows)
        return xlsx_writer.to_xlsx([table, about])

    def open_data(self, aar: int) -> tuple[bytes, bytes, bytes]:
        """The year's open data: CSV, JSON (both full precision plus the shown values), XLSX."""
        figures = [
            {
                **{k: getattr(f, k) for k in f.__dataclass_fields__},
                **dict(zip(SHOWN_FIELDS, self._shown_values(f), strict=True)),
                **(
                    dict(zip(dst.OPEN_DATA_FIELDS, self.per_map.values(f), strict=True))
                    if self.per_map is not None
                    else {}
                ),
            }
            for f in self._year_figures([aar])
        ]
        doc = {
            "beskrivelse": (
                f"Omgørelsesprocenter {aar} pr. kommune og område, "
                "Ankestyrelsens afgørelser i klagesager"
            ),
            "kilde": "Ankestyrelsen",
            **self._source(aar),
            "software_version": self.doc.software_version,
            "lav_n_threshold": self.doc.lav_n_threshold,
            "aar": aar,
            "afrunding": SHOWN_NOTE,
            **({"modtagere": RECIPIENTS_NOTE} if self.per_map is not None else {}),
            "figures": figures,
        }
        json_bytes = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        return self.open_data_csv([aar]), json_bytes, self.open_data_xlsx(aar)


# The open data's columns beside the contract's: the values as the site and the mails show
# them (text.shown_figure), so a machine reading the data can match what people read.
SHOWN_FIELDS = ("omgoerelsesprocent_vist", "ci_lav_vist", "ci_hoej_vist", "aendring_pp_vist")
SHOWN_NOTE = (
    "Felterne *_vist er tallene, som de vises på kortet og i mailene: hele procent, afrundet "
    "halvt op; aendring_pp_vist er forskellen mellem de to viste procenter. De øvrige tal har "
    "fuld præcision."
)

RECIPIENTS_NOTE = (
    "modtagere er Danmarks Statistiks antal borgere, der modtog ydelser på området i "
    "modtagere_aar (det nyeste år i filen, højst to år før aar); sager_pr_1000_modtagere er "
    "de realitetsbehandlede sager i aar pr. 1.000 modtagere. For hele landet (000) er begge "
    "summen over de kommuner, der har et tal. Tomme felter: Danmarks Statistik har ikke tal."
)

HTML = "text/html; charset=utf-8"
SVG = "image/svg+xml; charset=utf-8"
CSV = "text/csv; charset=utf-8"
JSON = "application/json; charset=utf-8"


def build_site(
    doc: FiguresDoc,
    *,
    remarks: RemarkBook,
    mapping: Mapping,
    geometry: MapGeometry,
    style: MapStyle,
    site_url: str = "",
    version: str | None = None,
    published: str | None = None,
    provenance: dict[int, dict[str, str]] | None = None,
    changelog: tuple[ChangeEntry, ...] = (),
    publisher: Publisher | None = None,
    beneficiaries: BeneficiaryTable | None = None,
) -> Site:
    """Every file of the site for this figures document (versioned files and entry points).
    ``provenance``: per year, the extract its figures come from (the record's sources);
    ``beneficiaries``: Danmarks Statistik's recipients (domain/beneficiaries.py), if any."""
    version = version or version_for(doc)
    published = published or datetime.now(UTC).isoformat(timespec="seconds")
    r = _Renderer(
        doc,
        remarks=remarks,
        mapping=mapping,
        geometry=geometry,
        style=style,
        site_url=site_url,
        version=version,
        published=published,
        provenance=provenance,
        changelog=changelog,
        publisher=publisher,
        beneficiaries=beneficiaries,
    )
    vroot = f"{VERSION_PREFIX}{version}/"
    files: list[SiteFile] = []
    entries: list[SiteFile] = []

    def both(path: str, render: Any, content_type: str) -> None:
        """The page inside the version and as an entry point linking into it: rendered once,
        with stand-ins for its links' base and the site root, then given the two bases (the
        two copies differ in nothing else; rendering each took half the site's time)."""
        depth = "../" * path.count("/")
        body = render(_BASE)
        files.append(SiteFile(path, _based(body, depth, version), content_type))
        entries.append(SiteFile(path, _based(body, depth + vroot, version), content_type))

    for name in STATIC_FILES:
        files.append(SiteFile(f"static/{name}", _static(name), _type(name)))
    for aar in r.ix.years:
        both(f"{aar}/index.html", lambda b, aar=aar: r.year_page(aar, b), HTML)
        for omraade in r.ix.areas:
            both(
                f"{aar}/kort/{omraade}.svg",
                lambda b, aar=aar, o=omraade: r.snippet_svg(aar, o, b),
                SVG,
            )
            both(
                f"{aar}/kort/{omraade}.html",
                lambda b, aar=aar, o=omraade: r.snippet_html(aar, o, b),
                HTML,
            )
        csv_bytes, json_bytes, xlsx_bytes = r.open_data(aar)
        for path, body, ctype in (
            (f"{aar}/data/omgoerelser-{aar}.csv", csv_bytes, CSV),
            (f"{aar}/data/omgoerelser-{aar}.json", json_bytes, JSON),
            (f"{aar}/data/omgoerelser-{aar}.xlsx", xlsx_bytes, xlsx_writer.XLSX_TYPE),
            # The stable address of the current figures of every published year.
            (f"data/omgoerelser-{aar}.csv", csv_bytes, CSV),
            (f"data/omgoerelser-{aar}.xlsx", xlsx_bytes, xlsx_writer.XLSX_TYPE),
        ):
            files.append(SiteFile(path, body, ctype))
            entries.append(SiteFile(path, body, ctype))
    every_year = r.open_data_csv(list(r.ix.years))
    files.append(SiteFile("data/omgoerelser.csv", every_year, CSV))
    entries.append(SiteFile("data/omgoerelser.csv", every_year, CSV))
    remarks_csv = r.remarks_csv()
    files.append(SiteFile(REMARKS_CSV, remarks_csv, CSV))
    entries.append(SiteFile(REMARKS_CSV, remarks_csv, CSV))
    # The council PDF next to each municipality's page (the same file as its mail's).
    pdfs = _council_pdfs(doc, r, site_url)
    for path, body in pdfs.items():
        files.append(SiteFile(path, body, council_pdf.PDF_TYPE))
        entries.append(SiteFile(path, body, council_pdf.PDF_TYPE))
    r.pdf_sizes = {path: len(body) for path, body in pdfs.items()}
    for m in registry().municipalities:
        both(municipality_path(m), lambda b, m=m: r.municipality_page(m, b), HTML)
    both("laesevejledning.html", r.guide, HTML)
    both("rettelser.html", r.corrections_page, HTML)
    both("find.html", r.find_page, HTML)
    if r.publisher.has_statement_page:
        both(STATEMENT_PAGE, r.statement_page, HTML)
    # The root start page is the latest year's, and goes last of all.
    both("index.html", lambda b: r.year_page(r.latest, b, "index.html"), HTML)
    links = {
        "reading_guide": f"{vroot}laesevejledning.html",
        "municipality_page": f"{vroot}kommune/{{kommunekode}}-{{slug}}.html",
        "year_page": f"{vroot}{{aar}}/index.html",
    }
    return Site(version=version, files=tuple(files), entry_points=tuple(entries), links=links)


def _council_pdfs(doc: FiguresDoc, r: _Renderer, site_url: str) -> dict[str, bytes]:
    """Each municipality's council PDF by its path; one that cannot be made is logged and
    left out (its page then has no link), never stopping the site."""
    pdfs = council_pdf.CouncilPdfs(doc, r.mapping, r.remarks, r.beneficiaries, site_url)
    out: dict[str, bytes] = {}
    for m in registry().municipalities:
        try:
            out[council_pdf.site_path(m)] = pdfs.pdf(m)
        except Exception:
            _logger().exception("council PDF of %s not made; its page has no link", m.full_name)
    return out


def _logger() -> logging.Logger:
    return child_logger(__name__)


# Stand-ins for the links' base and the site root while a page or a map's marks are drawn;
# NUL-delimited, so no text of a page can be taken for one.
_BASE = "\x00base\x00"
_ROOT = "\x00root\x00"
_HOME = "\x00home\x00"  # the site root as a link of its own: never empty
# What is left of a stand-in that was cut or changed (escaped, truncated) before the bases
# were given: a page with one is never published.
_STAND_IN_PARTS = tuple(p.encode() for s in (_BASE, _ROOT, _HOME) for p in (s[:-1], s[1:]))


def _home(path: str) -> str:
    return path or "./"


def _based(body: bytes, base: str, version: str) -> bytes:
    """A page rendered with the stand-ins, its links now starting with ``base`` (escaped as
    the autoescaping templates would)."""
    root = _root(base, version)
    out = (
        body.replace(_BASE.encode(), str(escape(base)).encode())
        .replace(_ROOT.encode(), str(escape(root)).encode())
        .replace(_HOME.encode(), str(escape(_home(root))).encode())
    )
    if any(part in out for part in _STAND_IN_PARTS):
        raise RuntimeError(f"a page for base {base!r} has a stand-in left in it")
    return out


class _MapContent:
    """A map's marks (_kort_indhold.svg), drawn once and put into the year page, the SVG
    and the HTML snippet, each with its own base for the links: a map of 98 tiles is
    otherwise drawn six times per year and area (three files, versioned and entry point),
    a third of the site's render time."""

    def __init__(self, env: Environment, view: dict[str, Any], style: MapStyle) -> None:
        self.env, self.view, self.style = env, view, style
        self._drawn: str | None = None

    def __call__(self, base: str) -> Markup:
        if self._drawn is None:
            template = self.env.get_template("_kort_indhold.svg")
            self._drawn = template.render(map=self.view, base=_BASE, style=self.style)
        # Safe: the autoescaped template's output, with the base escaped the same way.
        return Markup(self._drawn.replace(_BASE, str(escape(base))))  # noqa: S704


def _funnel(view: dict[str, Any], national: Figure) -> dict[str, Any] | None:
    """The funnel plot of one map's municipalities (those with cases), or None when the
    country has no rate to compare with."""
    from danmarkskort.render.charts import funnel_chart

    if national.omgoerelsesprocent is None:
        return None
    points = [
        {
            "n": it["f"].realitetsbehandlede,
            "rate": it["f"].omgoerelsesprocent,
            "code": it["m"].code,
            "verdict": it["verdict"],
            "lav_n": it["f"].lav_n,
            "tip_text": it["tip_text"],
            "label": ". ".join(it["tip"]),
        }
        for it in sorted(view["table"], key=lambda it: it["f"].realitetsbehandlede)
        if it["f"].realitetsbehandlede and it["f"].omgoerelsesprocent is not None
    ]
    return funnel_chart(points, national.omgoerelsesprocent) if points else None


def _root(base: str, version: str) -> str:
    """The site root as seen from a page whose links start with ``base``: an entry point's
    base ends in v/<version>/; a versioned page's base leads to the version root, two
    folders below the site root."""
    vroot = f"{VERSION_PREFIX}{version}/"
    if base.endswith(vroot):
        return base[: -len(vroot)]
    if base.startswith(("http://", "https://")):
        return base
    return base + "../" * vroot.count("/")


def _anchor(e: ChangeEntry) -> str:
    return f"rettelse-{e.aar}-{e.applied[:10]}"


def _municipalities_in(e: ChangeEntry) -> int:
    return len({c.kommunekode for c in e.corrections if not c.old.is_national})


def _type(name: str) -> str:
    return {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}[
        name.rsplit(".", 1)[1]
    ]
