"""The council PDF: one municipality's figures on one or two A4 pages, in Danish, ready to
attach to the council's agenda. Per area: the rate of the newest year with its interval, the
cases decided, the change from last year, the national figure, Danmarks Statistik's
recipients when the input is there, the comparison sentence (domain/comparison.py) and a
small chart of the published years; then the remarks and comments, and the source and date.

The same file is published next to the municipality's page (render) and attached to its
mail (notify): both build it with ``CouncilPdfs`` from the same published figures and
config, and the document is deterministic (its date is the extract's receipt), so the two
are byte for byte the same. Tagged, with title and language set (danmarkskort/pdf_writer.py).

Pure: figures and config in, bytes out. Everything that does not depend on the municipality
(indexes, each map's national figures and recipients) is built once per run.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache

from danmarkskort import text as fmt
from danmarkskort.domain import comparison
from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.beneficiaries import SOURCE as DST
from danmarkskort.domain.beneficiaries import BeneficiaryTable, PerMap
from danmarkskort.domain.figures import Figure, FiguresDoc
from danmarkskort.domain.municipalities import Municipality
from danmarkskort.domain.remarks import KIND_LABELS, RemarkBook
from danmarkskort.pdf_writer import BLACK, CONTENT_W, GREY, Canvas, Colour, Document

PDF_TYPE = "application/pdf"
BAR: Colour = (0.13, 0.33, 0.55)
BAR_LOW_N: Colour = (0.62, 0.72, 0.84)
CHART_YEARS = 5


def file_name(m: Municipality, aar: int) -> str:
    """'omgoerelsesprocenter-2024-155-dragoer.pdf', as the mail's other attachments."""
    return f"omgoerelsesprocenter-{aar}-{m.code}-{m.slug}.pdf"


def site_path(m: Municipality) -> str:
    """Next to the municipality's page: 'kommune/155-dragoer.pdf'."""
    return f"kommune/{m.code}-{m.slug}.pdf"


class CouncilPdfs:
    """Builds each municipality's council PDF from what every one of them shares."""

    def __init__(
        self,
        doc: FiguresDoc,
        mapping: Mapping,
        remarks: RemarkBook,
        beneficiaries: BeneficiaryTable | None = None,
        site_url: str = "",
    ):
        if not doc.figures:
            raise ValueError("the figures hold no records")
        self.doc = doc
        self.mapping = mapping
        self.remarks = remarks
        self.beneficiaries = beneficiaries
        self.site_url = site_url.rstrip("/")
        self.years = tuple(sorted(set(doc.years or {f.aar for f in doc.figures})))
        self.latest = self.years[-1]
        self.by_key: dict[tuple[int, str, str], Figure] = {
            (f.aar, f.omraade, f.kommunekode): f for f in doc.figures
        }
        self.national: dict[tuple[int, str], Figure] = {
            (f.aar, f.omraade): f for f in doc.figures if f.is_national
        }
        present = {f.omraade for f in doc.figures if f.aar == self.latest}
        self.areas = [s for s in mapping.slugs if s in present] + sorted(
            present - set(mapping.slugs)
        )
        # Shared with the mail (its text and attachments) and built once per run.
        self.per_map = PerMap(beneficiaries, doc.figures) if beneficiaries is not None else None
        try:
            self.created = datetime.fromisoformat(doc.received.replace("Z", "+00:00"))
        except ValueError:
            self.created = datetime(self.latest + 1, 1, 1, tzinfo=UTC)
        if self.created.tzinfo is None:
            self.created = self.created.replace(tzinfo=UTC)

    def area_name(self, slug: str) -> str:
        try:
            return self.mapping.area(slug).navn
        except KeyError:
            return slug

    def pdf(self, m: Municipality) -> bytes:
        y = self.latest
        title = f"Omgørelsesprocenter {y} – {m.full_name}"
        d = Document(title, subject=_subject(m, y))
        d.footer = f"{m.full_name}: omgørelsesprocenter {y}"
        d.heading(title, 1)
        d.paragraph(
            f"Hvor ofte Ankestyrelsen i {y} ændrede, ophævede eller hjemviste {m.full_name}s "
            "afgørelser i de klagesager, den realitetsbehandlede, på de tre områder af "
            "danmarkskortet. Til kommunalbestyrelsens behandling af tallene.",
            after=3,
        )
        d.paragraph(
            "Omgørelsesprocenten er andelen af de realitetsbehandlede klagesager, hvor "
            "Ankestyrelsen ændrede, ophævede eller hjemviste kommunens afgørelse. Afviste og "
            "henviste sager tæller ikke med. Procenten handler kun om de sager, der blev "
            "klaget over, og siger ikke alene noget om kvaliteten af kommunens sagsbehandling.",
            size=9,
            colour=GREY,
            after=8,
        )
        for omraade in self.areas:
            f = self.by_key.get((y, omraade, m.code))
            if f is not None:
                self._area(d, m, f)
        self._remarks(d, m)
        self._source(d, m)
        return d.output(self.created)

    def _area(self, d: Document, m: Municipality, f: Figure) -> None:
        y = f.aar
        land = self.national.get((y, f.omraade))
        land_name = fmt.national_name(land)
        previous = self.by_key.get((y - 1, f.omraade, m.code)) if y - 1 in self.years else None
        shown = fmt.shown_figure(f, previous)
        d.heading(self.area_name(f.omraade), 2)
        rows: list[tuple[str, str]] = []
        if f.omgoerelsesprocent is None:
            rows.append((f"Omgørelsesprocent {y}", f"Ingen realitetsbehandlede sager i {y}"))
        else:
            rows.append((f"Omgørelsesprocent {y}", _pct(f.omgoerelsesprocent)))
            if f.ci_lav is not None and f.ci_hoej is not None:
                rows.append(("95 %-usikkerhedsinterval", fmt.pct_range(f.ci_lav, f.ci_hoej)))
        rows.append(
            (
                "Realitetsbehandlede sager",
                f"{_number(f.realitetsbehandlede)} (stadfæstet {_number(f.stadfaestet)}, "
                f"ændret/ophævet {_number(f.aendret_ophaevet)}, "
                f"hjemvist {_number(f.hjemvist)})",
            )
        )
        rows.append(("Afvist eller henvist (tæller ikke med)", _number(f.afvist)))
        if y - 1 not in self.years:
            rows.append(("Ændring fra året før", "Der er ingen tal for året før."))
        elif shown.change is None:
            empty = y if f.omgoerelsesprocent is None else y - 1
            rows.append((f"Ændring fra {y - 1}", f"Ingen sammenligning (ingen sager i {empty})"))
        else:
            rows.append((f"Ændring fra {y - 1}", fmt.pp(shown.change)))
        if land is None or land.omgoerelsesprocent is None:
            rows.append((land_name, "ingen tal"))
        else:
            rows.append(
                (
                    land_name,
                    f"{_pct(land.omgoerelsesprocent)} af {fmt.cases(land.realitetsbehandlede)}",
                )
            )
        if self.per_map is not None:
            s = self.per_map.shown(f, m.name, land_name)
            rows.append(
                (
                    f"Modtagere af ydelser ({DST})",
                    " ".join(filter(None, (s.sentence, s.rate_sentence))),
                )
            )
        d.table(None, rows, (0.4, 0.6))
        if f.lav_n and f.realitetsbehandlede:
            d.paragraph(
                f"Få sager: færre end {self.doc.lav_n_threshold} realitetsbehandlede sager. "
                "Procenten er derfor usikker og kan svinge meget fra år til år.",
                size=9,
            )
        d.paragraph(comparison.sentence(comparison.verdict(f, land), land_name), size=9.5)
        self._chart(d, m, f.omraade, land_name)

    def _chart(self, d: Document, m: Municipality, omraade: str, land_name: str) -> None:
        years = [a for a in self.years if a <= self.latest][-CHART_YEARS:]
        points = []
        for a in years:
            f = self.by_key.get((a, omraade, m.code))
            land = self.national.get((a, omraade))
            points.append(
                (
                    a,
                    f.omgoerelsesprocent if f else None,
                    bool(f and f.lav_n),
                    land.omgoerelsesprocent if land else None,
                )
            )
        if len(points) < 2 and all(p[1] is None for p in points):
            return
        top = max([10.0, *(v for p in points for v in (p[1], p[3]) if v is not None)])
        top = min(100.0, math.ceil(top / 10.0) * 10.0)
        name = self.area_name(omraade).lower()
        alt = (
            f"Søjlediagram: {m.name}s omgørelsesprocent på {name} pr. år, med "
            f"{fmt.lower_first(land_name)} som streg. "
            + "; ".join(
                f"{a}: {_pct(v) if v is not None else 'ingen sager'}"
                + (f" ({fmt.lower_first(land_name)} {_pct(n)})" if n is not None else "")
                for a, v, _, n in points
            )
            + "."
        )

        def draw(c: Canvas) -> None:
            h, left, base = 70.0, 34.0, 78.0
            slot = min(70.0, (CONTENT_W * 0.7 - left) / len(points))
            for tick in (0.0, top / 2, top):
                ty = base - h * tick / top
                c.line(left - 3, ty, left + slot * len(points), ty, GREY, 0.3)
                c.text(left - 6, ty + 2.5, _tick(tick), align="r")
            for i, (a, v, low, n) in enumerate(points):
                x = left + i * slot + slot * 0.2
                w = slot * 0.6
                if v is not None:
                    bh = h * v / top
                    c.rect(x, base - bh, w, bh, BAR_LOW_N if low else BAR)
                    c.text(x + w / 2, base - bh - 2.5, _pct(v), align="c")
                if n is not None:
                    ny = base - h * n / top
                    c.line(x - 3, ny, x + w + 3, ny, BLACK, 1.2)
                c.text(x + w / 2, base + 9, str(a), align="c")
            lx = left + slot * len(points) + 14
            c.rect(lx, 16, 9, 9, BAR)
            c.text(lx + 13, 24, m.name)
            c.rect(lx, 30, 9, 9, BAR_LOW_N)
            c.text(lx + 13, 38, "få sager")
            c.line(lx - 1, 48, lx + 10, 48, BLACK, 1.2)
            c.text(lx + 13, 51, land_name)

        d.figure(alt, 92, draw)

    def _remarks(self, d: Document, m: Municipality) -> None:
        newest_first = sorted(self.years, reverse=True)
        remarks = self.remarks.over_years(m.code, newest_first)
        d.heading("Bemærkninger og kommentarer", 2)
        if not remarks:
            d.paragraph("Der er ingen bemærkninger eller kommentarer til kommunens tal.")
            return
        for r, years in remarks.items():
            areas = fmt.join_and([self.area_name(s).lower() for s in r.omraader])
            d.paragraph(
                f"{KIND_LABELS.get(r.kind, r.kind)} (kilde: {r.kilde}; gælder "
                f"{fmt.year_span(years)}, {areas or 'alle områder'})",
                size=9.5,
                bold=True,
                after=1,
            )
            d.paragraph(fmt.no_break(r.text), size=9.5, after=6)

    def _source(self, d: Document, m: Municipality) -> None:
        d.heading("Kilde", 2)
        received = _long_date(self.doc.received)
        lines = [
            f"Tallene er Ankestyrelsens afgørelser i klagesager fra kommunen "
            f"({fmt.year_span(list(self.years))}), fra udtrækket modtaget {received}. "
            "95 %-usikkerhedsintervallet er Wilsons interval. Ændringen er forskellen mellem "
            "de viste, hele procenter.",
        ]
        if self.beneficiaries is not None:
            lines.append(
                f"Modtagere af ydelser: {DST}. Tallet er for referenceåret, sagerne for "
                "kortets år; én borger kan have flere sager."
            )
        if self.site_url:
            lines.append(
                f"Kommunens side: {self.site_url}/kommune/{m.code}-{m.slug}.html. "
                f"Læsevejledning: {self.site_url}/laesevejledning.html."
            )
        for line in lines:
            d.paragraph(fmt.no_break(line), size=9)


@lru_cache(maxsize=64)
def _tick(value: float) -> str:
    return f"{_number(value)} %"


# Cached: the national figures, labels and counts recur in all 98 PDFs (text.py rounds with
# Decimal, half up, which is costly called thousands of times).
@lru_cache(maxsize=4096)
def _pct(value: float | None) -> str:
    return fmt.pct(value)


@lru_cache(maxsize=4096)
def _number(value: float) -> str:
    return fmt.number(value)


def _subject(m: Municipality, aar: int) -> str:
    return f"Danmarkskortet over omgørelsesprocenter {aar}: {m.full_name}"


def _long_date(received: str) -> str:
    try:
        return fmt.long_date(received)
    except (TypeError, ValueError):
        return received
