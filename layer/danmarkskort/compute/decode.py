"""A CSV extract's encoding: UTF-8 (with or without BOM) or Windows-1252, never a guess.

A file that mixes the two, or is UTF-16, is refused with the line and byte where it goes
wrong, so the sender knows what to save differently.

Every byte is checked, but the file is never decoded as a whole: a 200 MB extract would
become a string of up to 800 MB, and a failed `bytes.decode` copies the whole input into
its exception. UTF-8 is checked in pieces of 1 MiB, Windows-1252 by looking for its five
undefined bytes; the reader decodes only what it keeps (the header, the distinct values).
"""

from __future__ import annotations

import codecs
import re

from danmarkskort.compute.report import Report

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM", "cp1252": "Windows-1252"}
BOM = b"\xef\xbb\xbf"
_PIECE = 1 << 20
# The bytes Python's cp1252 codec has no character for (undefined in Windows-1252).
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def detect(data: bytes, report: Report) -> str | None:
    """'utf-8', 'utf-8-sig' or 'cp1252' once every byte is known to fit; None (reported)
    when the bytes are neither, mix the two, are UTF-16 or hold a NUL byte."""
    sig = data.startswith(BOM)  # with a BOM it must be UTF-8
    if not sig and (data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data)):
        report.error(
            "unreadable", "Filen er gemt som UTF-16. Gem den som UTF-8 eller Windows-1252."
        )
        return None
    if (nul := data.find(b"\x00")) >= 0:
        report.error(
            "unreadable",
            "Filen indeholder binære data (en NUL-byte ved byte "
            f"{nul}) og er ikke en tekstfil. Gem udtrækket som CSV eller XLSX.",
            row=data.count(b"\n", 0, nul) + 1,
        )
        return None
    utf8_error = utf8_error_at(data, len(BOM) if sig else 0)
    if utf8_error is None:
        return "utf-8-sig" if sig else "utf-8"
    cp1252_error = None if sig else _cp1252_error_at(data)
    if not sig and cp1252_error is None:
        if _has_utf8(data):
            line = data.count(b"\n", 0, utf8_error) + 1
            report.error(
                "unreadable",
                "Filen blander to tegnsæt: den er for det meste UTF-8, men række "
                f"{line} er ikke (byte 0x{data[utf8_error]:02x} ved byte "
                f"{utf8_error}; typisk æ, ø eller å gemt som Windows-1252). "
                "Gem hele filen som «CSV UTF-8».",
                row=line,
            )
            return None
        return "cp1252"
    at = utf8_error if cp1252_error is None else cp1252_error
    report.error(
        "unreadable",
        "Filen er hverken gyldig UTF-8 eller Windows-1252 (ugyldig byte "
        f"0x{data[at]:02x} ved byte {at}). Gem filen som CSV (UTF-8) eller XLSX.",
        row=data.count(b"\n", 0, at) + 1,
    )
    return None


def utf8_error_at(data: bytes, start: int = 0) -> int | None:
    """The offset of the first byte that is not UTF-8, or None; piece by piece, so a failure
    never copies the file (a failed bytes.decode keeps its whole input in the exception)."""
    if data.isascii():
        return None
    view = memoryview(data)
    pos = start
    while pos < len(data):
        final = pos + _PIECE >= len(data)
        try:
            _, used = codecs.utf_8_decode(view[pos : pos + _PIECE], "strict", final)
        except UnicodeDecodeError as exc:
            return pos + exc.start
        pos += used
    return None


def _cp1252_error_at(data: bytes) -> int | None:
    found = [at for byte in _CP1252_UNDEFINED if (at := data.find(byte)) >= 0]
    return min(found) if found else None


def decode_head(data: bytes, start: int, end: int, encoding: str) -> str:
    """data[start:end] as text; a UTF-8 character cut by `end` is left out (the bytes are
    known to be valid, so nothing else can fail)."""
    piece = memoryview(data)[start:end]
    if encoding == "cp1252":
        return bytes(piece).decode("cp1252")
    return codecs.utf_8_decode(piece, "strict", end >= len(data))[0]


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
