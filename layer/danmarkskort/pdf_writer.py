"""A small, strict writer of tagged PDF (A4, one or a few pages): headings, paragraphs,
tables and figures, laid out top to bottom, each in the document's structure tree, so a
screen reader reads them in order and knows a heading, a table cell or a chart (with its
alternative text) for what it is. Title and language (da-DK) are set in the catalogue, the
document information and the XMP metadata, and the viewer shows the title.

Why not fpdf2: measured here (fpdf2 2.8.9), its import takes 1.3-2.1 s (it loads numpy,
Pillow and fontTools) and one page of the council PDF about 120-150 ms, most of it fontTools
subsetting and re-serialising the font on every output; 98 of them would spend ten times
the 1.5 s budget of composing all mails, and fpdf2 tags only figures and links. The PDFs
need only what this module writes: text in two fonts, filled rectangles and lines.

Text is written in Windows-1252 (WinAnsiEncoding: every Danish letter, the dashes and
quotes of Danish typography) with two embedded TrueType fonts, DejaVu Sans and its bold,
subset once to those characters by scripts/pdf_fonts.py; their metrics come from
data/pdf-fonts.json, so no font library is needed at run time. Characters outside
Windows-1252 are replaced by their nearest spelling in it (− by –, ≤ by <=) or '?'.
The font objects are built once per process and shared by every document.

Deterministic: the same content and creation time give the same bytes (render's copy on the
site and notify's attachment are the same file).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN = 56.7  # 2 cm
BOTTOM = 62.0
CONTENT_W = PAGE_W - 2 * MARGIN
Colour = tuple[float, float, float]
BLACK: Colour = (0.0, 0.0, 0.0)
GREY: Colour = (0.4, 0.4, 0.4)

_REPLACE = str.maketrans(
    {
        "\u2212": "\u2013",  # the minus as an en dash, as Danish print without a minus
        "\u2009": "\u00a0",
        "\u202f": "\u00a0",
        "\u2011": "-",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u200b": "",
    }
)


@dataclass(frozen=True)
class _Font:
    name: str
    widths: tuple[int, ...]  # codes 32-255, per 1,000 units of the font size
    bbox: tuple[int, ...]
    ascent: int
    descent: int
    cap_height: int
    data: bytes  # the TrueType file
    by_byte: tuple[int, ...] = ()  # the widths indexed by the byte itself (0-31: none)

    def width(self, text: bytes, size: float) -> float:
        return sum(map(self.by_byte.__getitem__, text)) * size / 1000.0


@cache
def _fonts() -> dict[str, _Font]:
    base = resources.files("danmarkskort") / "data"
    metrics = json.loads((base / "pdf-fonts.json").read_text(encoding="utf-8"))
    return {
        style: _Font(
            name=m["name"],
            widths=tuple(m["widths"]),
            bbox=tuple(m["bbox"]),
            ascent=m["ascent"],
            descent=m["descent"],
            cap_height=m["cap_height"],
            data=(base / m["file"]).read_bytes(),
            by_byte=(0,) * 32 + tuple(m["widths"]),
        )
        for style, m in metrics.items()
    }


@lru_cache(maxsize=4096)
def encode(text: str) -> bytes:
    """The text as WinAnsiEncoding bytes (what is not in Windows-1252 becomes '?'). Cached:
    the labels and sentences of 98 PDFs repeat."""
    return text.translate(_REPLACE).encode("cp1252", errors="replace")


@lru_cache(maxsize=8192)
def _literal(raw: bytes) -> str:
    """A PDF literal string of the bytes, as text of the content stream (Latin-1 maps each
    byte to one character)."""
    escaped = (
        raw.replace(b"\\", b"\\\\")
        .replace(b"(", b"\\(")
        .replace(b")", b"\\)")
        .replace(b"\r", b"\\r")
        .replace(b"\n", b"\\n")
    )
    return "(" + escaped.decode("latin-1") + ")"


@lru_cache(maxsize=64)
def _font_and_colour(bold: bool, size: float, colour: Colour) -> str:
    r, g, b = colour
    return f"/{'F2' if bold else 'F1'} {size:.2f} Tf {r:.2f} {g:.2f} {b:.2f} rg"


@lru_cache(maxsize=8192)
def _wrap(text: str, width: float, size: float, bold: bool) -> tuple[bytes, ...]:
    """Cached: the labels and fixed sentences of 98 PDFs repeat."""
    font = _fonts()["bold" if bold else "regular"]
    space = font.width(b" ", size)
    lines: list[bytes] = []
    for para in text.split("\n"):
        line = b""
        line_w = 0.0
        words = encode(para).split(b" ")
        while words:
            word = words.pop(0)
            w = font.width(word, size)
            if w > width and len(word) > 1:  # wider than the line: cut where it fits
                cut = len(word) - 1
                while cut > 1 and font.width(word[:cut], size) > width:
                    cut = cut * 3 // 4
                words[:0] = [word[:cut], word[cut:]]
                continue
            if line and line_w + space + w > width:
                lines.append(line)
                line, line_w = word, w
            else:
                line = line + b" " + word if line else word
                line_w = line_w + space + w if line_w else w
        lines.append(line)
    return tuple(lines)


def text_string(text: str) -> bytes:
    """A PDF text string (title, alternative text) in UTF-16BE with its byte-order mark."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _num(v: float) -> str:
    """A coordinate or size: two decimals are a hundredth of a point."""
    return f"{v:.2f}"


@dataclass
class _Node:
    """A structure element: a leaf holds one marked-content sequence (page, mcid)."""

    tag: str
    kids: list[_Node] = field(default_factory=list)
    page: int | None = None
    mcid: int | None = None
    attrs: bytes = b""


class Canvas:
    """Drawing inside a figure: coordinates in points from the figure's top left corner."""

    def __init__(self, doc: Document, x: float, top: float):
        self._doc = doc
        self._x = x
        self._top = top

    def rect(self, x: float, y: float, w: float, h: float, fill: Colour) -> None:
        r, g, b = fill
        py = PAGE_H - (self._top + y + h)
        self._doc._op(f"{r:.2f} {g:.2f} {b:.2f} rg {self._x + x:.2f} {py:.2f} {w:.2f} {h:.2f} re f")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        colour: Colour = BLACK,
        width: float = 0.5,
        dash: bool = False,
    ) -> None:
        r, g, b = colour
        top = PAGE_H - self._top
        self._doc._op(
            f"{r:.2f} {g:.2f} {b:.2f} RG {width:.2f} w {'[3 2] 0 d ' if dash else ''}"
            f"{self._x + x1:.2f} {top - y1:.2f} m {self._x + x2:.2f} {top - y2:.2f} l S"
            f"{' [] 0 d' if dash else ''}"
        )

    def text(
        self, x: float, y: float, text: str, size: float = 7.5, bold: bool = False, align: str = "l"
    ) -> None:
        """``y`` is the baseline; ``align`` 'l', 'c' or 'r' about ``x``."""
        raw = encode(text)
        font = self._doc._font(bold)
        w = font.width(raw, size)
        dx = 0.0 if align == "l" else w / 2 if align == "c" else w
        self._doc._text_op(raw, self._x + x - dx, self._top + y, size, bold, BLACK)


class Document:
    """Blocks are laid out top to bottom; a block that does not fit starts a new page."""

    def __init__(self, title: str, lang: str = "da-DK", author: str = "", subject: str = ""):
        self.title = title
        self.lang = lang
        self.author = author
        self.subject = subject
        self._pages: list[list[str]] = []
        self._mcids: list[int] = []
        self._root = _Node("Document")
        self.y = 0.0
        self.footer = ""
        self._new_page()

    # --- layout ---------------------------------------------------------------------------

    def _new_page(self) -> None:
        self._pages.append([])
        self._mcids.append(0)
        self.y = MARGIN

    def _ensure(self, height: float) -> None:
        if self.y + height > PAGE_H - BOTTOM and self.y > MARGIN:
            self._new_page()

    def space(self, points: float) -> None:
        self.y += points

    def _font(self, bold: bool) -> _Font:
        return _fonts()["bold" if bold else "regular"]

    def _op(self, op: str) -> None:
        self._pages[-1].append(op)

    def _text_op(
        self, raw: bytes, x: float, baseline: float, size: float, bold: bool, colour: Colour
    ) -> None:
        self._op(
            f"BT {_font_and_colour(bold, size, colour)} {x:.2f} {PAGE_H - baseline:.2f} Td "
            f"{_literal(raw)} Tj ET"
        )

    def _leaf(self, tag: str, parent: _Node | None = None, attrs: bytes = b"") -> _Node:
        page = len(self._pages) - 1
        node = _Node(tag, page=page, mcid=self._mcids[page], attrs=attrs)
        self._mcids[page] += 1
        (parent or self._root).kids.append(node)
        self._op(f"/{tag} <</MCID {node.mcid}>> BDC")
        return node

    def _end(self) -> None:
        self._op("EMC")

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[bytes]:
        """Lines of at most ``width`` points, broken at spaces (never at a no-break space)."""
        return list(_wrap(text, width, size, bold))

    def _lines(
        self,
        lines: list[bytes],
        x: float,
        size: float,
        bold: bool,
        colour: Colour,
        leading: float,
    ) -> None:
        for i, raw in enumerate(lines):
            self._text_op(raw, x, self.y + size + i * leading, size, bold, colour)

    def heading(self, text: str, level: int = 1) -> None:
        size = {1: 17.0, 2: 13.0}.get(level, 11.0)
        lines = self.wrap(text, CONTENT_W, size, bold=True)
        leading = size * 1.25
        self._ensure(len(lines) * leading + 3 * size)  # never alone at a page's foot
        self._leaf(f"H{level}")
        self._lines(lines, MARGIN, size, True, BLACK, leading)
        self._end()
        self.y += len(lines) * leading + size * 0.4

    def paragraph(
        self,
        text: str,
        size: float = 10.0,
        bold: bool = False,
        colour: Colour = BLACK,
        after: float = 5.0,
        indent: float = 0.0,
    ) -> None:
        if not text:
            return
        leading = size * 1.3
        lines = self.wrap(text, CONTENT_W - indent, size, bold)
        self._ensure(len(lines) * leading)
        self._leaf("P")
        self._lines(lines, MARGIN + indent, size, bold, colour, leading)
        self._end()
        self.y += len(lines) * leading + after

    def table(
        self,
        header: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: float = 9.5,
        row_headers: bool = True,
    ) -> None:
        """A table of text; ``widths`` as fractions of the text width. With ``row_headers``
        each row's first cell is a row header (TH, scope Row)."""
        table = _Node("Table")
        self._root.kids.append(table)
        leading = size * 1.3
        col_w = [CONTENT_W * f for f in widths]
        all_rows = [(True, header)] if header else []
        all_rows += [(False, r) for r in rows]
        for is_head, row in all_rows:
            wrapped = [self.wrap(c, w - 6, size, is_head) for c, w in zip(row, col_w, strict=True)]
            height = max(len(c) for c in wrapped) * leading + 5
            self._ensure(height)
            tr = _Node("TR")
            table.kids.append(tr)
            x = MARGIN
            for i, (lines, w) in enumerate(zip(wrapped, col_w, strict=True)):
                head = is_head or (row_headers and i == 0)
                scope = "/Column" if is_head else "/Row"
                attrs = b"/A <</O /Table /Scope " + scope.encode() + b">>" if head else b""
                self._leaf("TH" if head else "TD", tr, attrs)
                self._lines(lines, x + 3, size, is_head, BLACK, leading)
                self._end()
                x += w
            self.y += height
            self._op("/Artifact BMC 0.8 0.8 0.8 RG 0.5 w")
            self._op(
                f"{_num(MARGIN)} {_num(PAGE_H - self.y + 2)} m "
                f"{_num(MARGIN + CONTENT_W)} {_num(PAGE_H - self.y + 2)} l S EMC"
            )
        self.y += 6

    def figure(self, alt: str, height: float, draw: Callable[[Canvas], None]) -> None:
        """A drawing with its alternative text (what a screen reader reads instead)."""
        self._ensure(height)
        top = self.y
        bbox = (
            f"[{_num(MARGIN)} {_num(PAGE_H - top - height)} "
            f"{_num(MARGIN + CONTENT_W)} {_num(PAGE_H - top)}]"
        )
        alt_attrs = b"/Alt " + text_string(alt) + b" /A <</O /Layout /BBox " + bbox.encode()
        self._leaf("Figure", attrs=alt_attrs + b">>")
        self._op("q")
        draw(Canvas(self, MARGIN, top))
        self._op("Q")
        self._end()
        self.y += height + 6

    # --- output ---------------------------------------------------------------------------

    def output(self, created: datetime | None = None) -> bytes:
        created = (created or datetime.now(UTC)).astimezone(UTC)
        pdf_date = created.strftime("D:%Y%m%d%H%M%SZ")
        objects: dict[int, bytes] = {}
        n_pages = len(self._pages)
        # Fixed numbers: 1 catalogue, 2 pages, 3 info, 4 structure tree root, 5 metadata,
        # 6-11 the two fonts (shared bytes); then pages, contents and structure elements.
        first_page = 12
        page_ids = [first_page + 2 * i for i in range(n_pages)]
        nodes: list[_Node] = []

        def collect(node: _Node) -> None:
            nodes.append(node)
            for k in node.kids:
                collect(k)

        collect(self._root)
        ids = {id(n): first_page + 2 * n_pages + i for i, n in enumerate(nodes)}
        parents: dict[int, int] = {}
        for n in nodes:
            for k in n.kids:
                parents[id(k)] = ids[id(n)]
        per_page: list[list[int]] = [[0] * m for m in self._mcids]
        for n in nodes:
            if n.mcid is not None and n.page is not None:
                per_page[n.page][n.mcid] = ids[id(n)]

        for n in nodes:
            parent = parents.get(id(n), 4)
            if n.mcid is not None and n.page is not None:
                kids = f"/Pg {page_ids[n.page]} 0 R /K {n.mcid}".encode()
            else:
                kids = b"/K [" + b" ".join(f"{ids[id(k)]} 0 R".encode() for k in n.kids) + b"]"
            objects[ids[id(n)]] = (
                f"<</Type /StructElem /S /{n.tag} /P {parent} 0 R ".encode()
                + kids
                + (b" " + n.attrs if n.attrs else b"")
                + b">>"
            )
        nums = " ".join(
            f"{i} [{' '.join(f'{r} 0 R' for r in refs)}]" for i, refs in enumerate(per_page)
        )
        objects[4] = (
            f"<</Type /StructTreeRoot /K [{ids[id(self._root)]} 0 R] "
            f"/ParentTree <</Nums [{nums}]>> /ParentTreeNextKey {n_pages}>>"
        ).encode()
        objects[2] = (
            f"<</Type /Pages /Count {n_pages} /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}]>>"
        ).encode()
        for i, ops in enumerate(self._pages):
            footer = self._footer_ops(i, n_pages)
            content = zlib.compress("\n".join([*ops, *footer]).encode("latin-1"), 3)
            objects[page_ids[i]] = (
                f"<</Type /Page /Parent 2 0 R /MediaBox [0 0 {_num(PAGE_W)} {_num(PAGE_H)}] "
                "/Resources <</Font <</F1 6 0 R /F2 9 0 R>>>> "
                f"/Contents {page_ids[i] + 1} 0 R /StructParents {i} /Tabs /S>>"
            ).encode()
            objects[page_ids[i] + 1] = _stream(content, b"/Filter /FlateDecode")
        title = text_string(self.title)
        objects[1] = (
            b"<</Type /Catalog /Pages 2 0 R /StructTreeRoot 4 0 R /MarkInfo <</Marked true>> "
            b"/Lang " + _literal(self.lang.encode("ascii")).encode("latin-1") + b" /Metadata 5 0 R "
            b"/ViewerPreferences <</DisplayDocTitle true>>>>"
        )
        objects[3] = (
            b"<</Title "
            + title
            + (b" /Author " + text_string(self.author) if self.author else b"")
            + (b" /Subject " + text_string(self.subject) if self.subject else b"")
            + b" /Producer (danmarkskort) /CreationDate "
            + _literal(pdf_date.encode("ascii")).encode("latin-1")
            + b">>"
        )
        objects[5] = _stream(
            _xmp(self.title, self.lang, created).encode("utf-8"), b"/Type /Metadata /Subtype /XML"
        )
        objects.update(_font_objects())
        return _serialise(objects, 1, 3)

    def _footer_ops(self, page: int, pages: int) -> list[str]:
        """The page's footer as a pagination artifact (not read as content)."""
        page_no = f"Side {page + 1} af {pages}"
        text = f"{self.footer}    {page_no}" if self.footer else page_no
        raw = encode(text)
        size = 7.5
        w = self._font(False).width(raw, size)
        return [
            "/Artifact <</Type /Pagination /Subtype /Footer>> BDC",
            f"BT /F1 {_num(size)} Tf 0.4 0.4 0.4 rg {_num(PAGE_W - MARGIN - w)} {_num(34)} Td "
            + _literal(raw)
            + " Tj ET",
            "EMC",
        ]


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    head = b"<</Length " + str(len(data)).encode() + (b" " + extra if extra else b"") + b">>"
    return head + b"\nstream\n" + data + b"\nendstream"


@cache
def _font_objects() -> dict[int, bytes]:
    """Fonts F1 (objects 6-8) and F2 (9-11): built once per process, shared by every PDF."""
    out: dict[int, bytes] = {}
    for first, style in ((6, "regular"), (9, "bold")):
        f = _fonts()[style]
        base = f"DKPDF{'A' if style == 'regular' else 'B'}+{f.name}"
        widths = " ".join(str(w) for w in f.widths)
        flags = 32 | (1 << 18 if style == "bold" else 0)  # non-symbolic; bold
        out[first] = (
            f"<</Type /Font /Subtype /TrueType /BaseFont /{base} /FirstChar 32 /LastChar 255 "
            f"/Widths [{widths}] /FontDescriptor {first + 1} 0 R /Encoding /WinAnsiEncoding>>"
        ).encode()
        out[first + 1] = (
            f"<</Type /FontDescriptor /FontName /{base} /Flags {flags} "
            f"/FontBBox [{' '.join(str(v) for v in f.bbox)}] /ItalicAngle 0 "
            f"/Ascent {f.ascent} /Descent {f.descent} /CapHeight {f.cap_height} "
            f"/StemV {120 if style == 'bold' else 80} /FontFile2 {first + 2} 0 R>>"
        ).encode()
        out[first + 2] = _stream(
            zlib.compress(f.data, 9), f"/Length1 {len(f.data)} /Filter /FlateDecode".encode()
        )
    return out


def _xmp(title: str, lang: str, created: datetime) -> str:
    from xml.sax.saxutils import escape

    when = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt>'
        f"</dc:title><dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag>"
        f"</dc:language><xmp:CreateDate>{when}</xmp:CreateDate>"
        "<pdf:Producer>danmarkskort</pdf:Producer>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
    )


def _serialise(objects: dict[int, bytes], root: int, info: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    size = max(objects) + 1
    offsets = [0] * size
    for num in range(1, size):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets[1:])
    digest = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().upper()
    out += (
        f"trailer\n<</Size {size} /Root {root} 0 R /Info {info} 0 R "
        f"/ID [<{digest}> <{digest}>]>>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
