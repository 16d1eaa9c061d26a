"""The validation report: every problem with its row, column and value, in Danish and as JSON.

The sender must be able to fix a rejected file in one go, so problems are collected (not
raised one at a time) and only the listing is capped per kind; the counts are always whole.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["fejl", "advarsel"]

# Danish headings per problem code; the code itself is the machine-readable key.
TITLES: dict[str, str] = {
    "too_large": "Filen er for stor",
    "empty": "Filen er tom",
    "unreadable": "Filen kan ikke læses",
    "unknown_shape": "Filen har ikke et af de to kendte formater",
    "missing_column": "En påkrævet kolonne mangler",
    "duplicate_column": "En kolonne står flere gange",
    "missing_value": "En påkrævet værdi mangler",
    "bad_count": "Et antal er ikke et helt tal ≥ 0",
    "bad_total": "Antal_sager_ialt passer ikke med summen af de fire udfald",
    "bad_year": "Årstallet er ukendt eller usandsynligt",
    "bad_quarter": "Kvartalet er ikke 1-4",
    "bad_date": "Datoen kan ikke læses eller er usandsynlig",
    "unknown_outcome": "Afgørelsen er ikke et kendt udfald",
    "unknown_municipality": "Kommunen er ukendt",
    "duplicate_case": "Sagsnummeret står flere gange",
    "excluded_instance": "Rækken er ikke en kommune og er udeladt",
    "unknown_law": "Loven indgår ikke i nogen af kortenes områder",
    "unmapped_provision": "Bestemmelsen kunne ikke placeres i et særligt område",
    "repeated_row": "Samme kommune, bestemmelse og periode står flere gange (talt sammen)",
    "no_rows": "Filen har ingen rækker med sager",
    "too_many_fields": "En række har flere felter end overskriften",
    "bad_quoting": "Et anførselstegn er ikke lukket",
    "skipped_lines": "Linjer over overskriften er sprunget over",
    "thousands_separator": "Et antal er skrevet med tusindtalsseparator",
    "internal_error": "Fejl i programmet",
    "mixed_shape": "Overskriften blander de to udtrækstyper",
    "other_sheets": "Andre ark end det første er ikke læst",
    "municipality_mismatch": "Kommunekode og kommunenavn passer ikke sammen",
    "ambiguous_column": "Flere kolonner passer til samme felt",
    "summed_columns": "Ændring og Ophævelse er lagt sammen",
    "blank_as_zero": "Tomme celler er læst som 0",
    "sum_row": "En sumrække (subtotal) er udeladt",
    "subtotal_row": "En række for hele året står sammen med kvartalsrækker",
    "national_mismatch": "Udtrækkets tal for hele landet passer ikke med kommunernes",
    "law_mismatch": "Sagsemne og lovgrundlag nævner to forskellige love",
    "cell_too_long": "En celle er for lang",
    "too_many_values": "En kolonne har for mange forskellige værdier",
    "line_too_long": "En linje er for lang",
    "too_many_columns": "Filen har for mange kolonner",
    "too_many_lines": "Filen har for mange linjer",
    "hidden_sheets": "Skjulte ark er ikke læst",
    "uncomputed_formula": "En formel har ingen beregnet værdi",
    "partial_extract": "Udtrækket dækker ikke hele landet",
    "partial_year": "Landstallet dækker kun kommunerne i udtrækket",
    "older_than_published": "Udtrækket er ældre end det nyeste offentliggjorte år",
    "partial_over_complete": "Et delvist udtræk kan ikke erstatte et fuldt år",
}
MAX_VALUE_CHARS = 120  # a value in a listing; a broken file can have a megabyte in one cell
MAX_MESSAGE_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Text as it can stand in a one-line report: control characters made visible, cut short."""
    s = str(text).replace("\r\n", "\n").replace("\n", "↵").replace("\t", "⇥")
    s = _CONTROL.sub("�", s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    code: str
    message: str  # Danish, names what is wrong and how to fix it
    row: int | None = None  # line number in the file (1 = header) or sheet row
    column: str | None = None  # the column as named in the file
    value: str | None = None


@dataclass
class Report:
    """Collects problems; caps what is listed per code but counts everything."""

    cap_per_code: int = 50
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    listed: Counter[tuple[str, str]] = field(default_factory=Counter)
    covered: Counter[tuple[str, str]] = field(default_factory=Counter)  # occurrences listed
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, problem: Problem, total: int = 1) -> None:
        """Record one problem standing for `total` occurrences (beyond the cap only counted)."""
        key = (problem.severity, problem.code)
        if self.listed[key] < self.cap_per_code:
            problem = Problem(
                problem.severity,
                problem.code,
                shown(problem.message, MAX_MESSAGE_CHARS),
                problem.row,
                None if problem.column is None else shown(problem.column),
                None if problem.value is None else shown(problem.value),
            )
            self.problems.append(problem)
            self.listed[key] += 1
            self.covered[key] += total
        self.counts[key] += total

    def error(self, code: str, message: str, **where: Any) -> None:
        self.add(Problem("fejl", code, message, **where))

    def warning(self, code: str, message: str, **where: Any) -> None:
        self.add(Problem("advarsel", code, message, **where))

    def room(self, severity: Severity, code: str) -> int:
        """How many more problems of this kind will be listed (the rest only counted)."""
        return max(self.cap_per_code - self.listed[(severity, code)], 0)

    def count_only(self, severity: Severity, code: str, n: int) -> None:
        if n > 0:  # a zero would create the kind (and reject the extract) without a problem
            self.counts[(severity, code)] += n

    def has(self, code: str) -> bool:
        return any(c == code for _, c in self.counts)

    @property
    def accepted(self) -> bool:
        return not any(sev == "fejl" for sev, _ in self.counts)

    @property
    def n_errors(self) -> int:
        return sum(n for (sev, _), n in self.counts.items() if sev == "fejl")

    @property
    def n_warnings(self) -> int:
        return sum(n for (sev, _), n in self.counts.items() if sev == "advarsel")

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        def listed(sev: str) -> list[dict[str, Any]]:
            return [
                {k: v for k, v in asdict(p).items() if k != "severity"}
                for p in self.problems
                if p.severity == sev
            ]

        summary = [
            {
                "severity": sev,
                "code": code,
                "title": TITLES.get(code, code),
                "count": n,
                "listed": self.listed[(sev, code)],
            }
            for (sev, code), n in sorted(self.counts.items())
        ]
        return {
            **meta,
            "accepted": self.accepted,
            "errors_total": self.n_errors,
            "warnings_total": self.n_warnings,
            "facts": self.facts,
            "summary": summary,
            "errors": listed("fejl"),
            "warnings": listed("advarsel"),
        }

    def to_json(self, **meta: Any) -> str:
        return json.dumps(self.to_dict(**meta), ensure_ascii=False, indent=1)

    def to_text(self, extract_file: str = "", extract_id: str = "") -> str:
        """The Danish report a person reads: verdict first, then each kind with its rows."""
        lines = []
        name = f" «{extract_file}»" if extract_file else ""
        if self.accepted:
            lines.append(f"Udtrækket{name} er godkendt.")
        else:
            lines.append(
                f"Udtrækket{name} er AFVIST: {self.n_errors} fejl skal rettes, før tallene kan "
                "offentliggøres. Intet er offentliggjort."
            )
        if extract_id:
            lines.append(f"Udtrækkets id (SHA-256): {extract_id}")
        for label, value in self.facts.items():
            lines.append(f"{_FACT_LABELS.get(label, label)}: {value}")
        for sev, heading in (("fejl", "Fejl"), ("advarsel", "Advarsler")):
            kinds = sorted((code, n) for (s, code), n in self.counts.items() if s == sev)
            if not kinds:
                continue
            lines += ["", f"{heading} ({sum(n for _, n in kinds)}):"]
            for code, n in kinds:
                lines.append(f"- {TITLES.get(code, code)} ({n}):")
                shown = [p for p in self.problems if (p.severity, p.code) == (sev, code)]
                for p in shown:
                    lines.append(f"    {_where(p)}{p.message}")
                if n > self.covered[(sev, code)]:
                    lines.append(f"    … og {n - self.covered[(sev, code)]} flere af samme slags.")
        return "\n".join(lines) + "\n"


_FACT_LABELS = {
    "format": "Format",
    "shape": "Udtrækstype",
    "rows": "Rækker med data",
    "rows_used": "Rækker der indgår",
    "years": "År",
    "municipalities": "Kommuner med sager",
    "encoding": "Tegnsæt",
    "separator": "Skilletegn",
    "header_row": "Overskriften står i række",
    "ignored_columns": "Kolonner der ikke bruges",
    "aendret_ophaevet": "Ændring/ophævelse",
    "received": "Modtaget",
    "coverage": "Kommuner med realitetsbehandlede sager",
    "archive": "Arkiveret som",
    "source_key": "Uploadet som",
    "archive_note": "Om arkivet",
}


def _where(p: Problem) -> str:
    parts = []
    if p.row is not None:
        parts.append(f"række {p.row}")
    if p.column:
        parts.append(f"kolonne «{p.column}»")
    if p.value is not None:
        parts.append(f"værdi «{p.value}»")
    return (", ".join(parts) + ": ") if parts else ""
