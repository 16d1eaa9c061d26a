"""Decoding a CSV extract's bytes: UTF-8 (with or without BOM) or Windows-1252, never a guess.

A file that mixes the two, or is UTF-16, is refused with the line and byte where it goes
wrong, so the sender knows what to save differently.
"""

from __future__ import annotations

import re

from danmarkskort.compute.report import Report

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM", "cp1252": "Windows-1252"}


def decode(data: bytes, report: Report) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        report.error(
            "unreadable", "Filen er gemt som UTF-16. Gem den som UTF-8 eller Windows-1252."
        )
        return None
    else:
        encodings = ["utf-8", "cp1252"]
    if (nul := data.find(b"\x00")) >= 0:
        report.error(
            "unreadable",
            "Filen indeholder binære data (en NUL-byte ved byte "
            f"{nul}) og er ikke en tekstfil. Gem udtrækket som CSV eller XLSX.",
            row=data[:nul].count(b"\n") + 1,
        )
        return None
    first_error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if encoding == "cp1252" and first_error is not None and _has_utf8(data):
            line = data[: first_error.start].count(b"\n") + 1
            report.error(
                "unreadable",
                "Filen blander to tegnsæt: den er for det meste UTF-8, men række "
                f"{line} er ikke (byte 0x{data[first_error.start]:02x} ved byte "
                f"{first_error.start}; typisk æ, ø eller å gemt som Windows-1252). "
                "Gem hele filen som «CSV UTF-8».",
                row=line,
            )
            return None
        return text, encoding
    if first_error is None:  # each encoding tried either returned above or set first_error
        raise RuntimeError(f"decoding: no encoding tried, none failed (encodings={encodings!r})")
    last = first_error if len(encodings) == 1 else _cp1252_error(data)
    line = data[: last.start].count(b"\n") + 1
    report.error(
        "unreadable",
        "Filen er hverken gyldig UTF-8 eller Windows-1252 (ugyldig byte "
        f"0x{data[last.start]:02x} ved byte {last.start}). Gem filen som CSV (UTF-8) eller XLSX.",
        row=line,
    )
    return None


def _cp1252_error(data: bytes) -> UnicodeDecodeError:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError("decodes as cp1252")  # pragma: no cover


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: every other byte of ASCII text is NUL, the bytes between are not."""
    sample = data[:200]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.2 * len(even)) or (
        even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd)
    )


def _has_utf8(data: bytes) -> bool:
    """True when the bytes hold UTF-8 encoded Danish letters ('Ã' followed by a continuation)."""
    return data.find(b"\xc3") >= 0 and re.search(rb"\xc3[\x80-\xbf]", data) is not None
