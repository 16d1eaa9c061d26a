"""What a municipality may write in its comment: the input rules of the comment form, pure.

One textarea per area of the round, named ``kommentar-<area slug>``. A field's text is
NFC-normalised, its line breaks made ``\\n`` (browsers send ``\\r\\n``), and stripped of
whitespace at both ends; an area left empty has no comment, and a form with every area
empty withdraws the comment. Each area's text may have at most ``Round.max_tegn``
characters (code points, after normalisation).

Refused, with a Danish message naming the area (the form shows it beside the field):

- control characters other than newline and tab (NUL, C0 and C1 controls, DEL);
- lone surrogates (they cannot be stored as UTF-8, and no keyboard types them);
- bidi embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069): they reorder
  how the *surrounding* text is displayed, so published words could be made to read
  differently from what they are ("Trojan Source");
- U+FFFD, the replacement character: it is what is left where a character was lost in
  copying or converting, so the text is damaged; better the writer sees that and fixes it
  than it stands under the municipality's name.

The form may carry no other fields than the areas' (the page takes its own ``csrf`` field
away first): an unknown field, an area not in the round, or a field sent twice is refused.
The text is kept as text; it is never HTML, and every page renders it escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from danmarkskort import text as fmt

FIELD_PREFIX = "kommentar-"
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
REPLACEMENT = "\ufffd"
ALLOWED_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True, slots=True)
class AreaField:
    """One area of the round as the form names it."""

    slug: str
    navn: str

    @property
    def field(self) -> str:
        return field_name(self.slug)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One refusal: the form field it concerns ("" for the form as a whole) and why."""

    field: str
    message: str


class CommentInputError(ValueError):
    """The form cannot be stored as it is; ``errors`` says why, per field, in Danish."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = tuple(errors)


def field_name(slug: str) -> str:
    return f"{FIELD_PREFIX}{slug}"


def normalise(raw: str) -> str:
    """NFC, ``\\n`` line breaks, no whitespace at the ends."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def problem(text: str, navn: str, max_tegn: int) -> str | None:
    """Why ``text`` (normalised) cannot stand as the comment on area ``navn``, or None."""
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return (
                f"Kommentaren til området {navn} indeholder et ugyldigt tegn (et enligt "
                "surrogattegn). Skriv teksten igen, eller kopiér den fra et andet program."
            )
        if ch in BIDI_CONTROLS:
            return (
                f"Kommentaren til området {navn} indeholder et usynligt tegn, der vender "
                f"skriveretningen (U+{code:04X}). Fjern det, og send igen."
            )
        if ch == REPLACEMENT:
            return (
                f"Kommentaren til området {navn} indeholder tegnet \u00bb\ufffd\u00ab, som står, "
                "hvor et tegn er gået tabt ved kopiering. Ret teksten, og send igen."
            )
        if unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS:
            return (
                f"Kommentaren til området {navn} indeholder et usynligt styretegn (U+{code:04X}). "
                "Fjern det, og send igen."
            )
    if len(text) > max_tegn:
        return (
            f"Kommentaren til området {navn} er {fmt.number(len(text))} tegn lang. "
            f"Der er plads til højst {fmt.number(max_tegn)} tegn."
        )
    return None


def parse_comment(
    fields: Iterable[tuple[str, str]], areas: Sequence[AreaField], max_tegn: int
) -> dict[str, str]:
    """The comment per area slug (only the areas with text; {} withdraws the comment),
    in the round's order of areas; CommentInputError with every refusal otherwise."""
    by_field = {a.field: a for a in areas}
    texts: dict[str, str] = {}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name, raw in fields:
        area = by_field.get(name)
        if area is None:
            shown = name[:40] if name.isprintable() else repr(name[:40])
            if name.startswith(FIELD_PREFIX):
                message = f"Formularen nævner et område, der ikke er med i høringen ({shown})."
            else:
                message = f"Formularen har et felt, siden ikke kender ({shown})."
            errors.append(FieldError("", message))
            continue
        if name in seen:
            errors.append(
                FieldError(name, f"Kommentaren til området {area.navn} er sendt to gange.")
            )
            continue
        seen.add(name)
        text = normalise(raw)
        why = problem(text, area.navn, max_tegn)
        if why is not None:
            errors.append(FieldError(name, why))
        elif text:
            texts[area.slug] = text
    if errors:
        raise CommentInputError(errors)
    return {a.slug: texts[a.slug] for a in areas if a.slug in texts}
