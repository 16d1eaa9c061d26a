"""The council PDF: read back with pypdf (text, metadata, structure tree) and checked against
the figures it was made from; the same file on the site and in the mail; a PDF that cannot be
made never stops a mail or the site."""

from __future__ import annotations

import dataclasses
import email
import io
import logging
import re
import zlib
from email import policy

import pytest
from danmarkskort import council_pdf, pdf_writer
from danmarkskort import text as fmt
from danmarkskort.config.sources import layered
from danmarkskort.domain import comparison
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.beneficiaries import BeneficiaryTable
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.remarks import Remark, RemarkBook, load_remark_book
from danmarkskort.mail.compose import ComposedMail, compose

from tests.figures_support import mail_doc
from tests.unit.test_mail_compose import context

pypdf = pytest.importorskip("pypdf")

DRAGOER = registry().by_code("155")
KOMMENTAR = Remark(
    "155",
    "kommentar",
    "Dragør Kommune har i 2024 omlagt visitationen på børnehandicapområdet.",
    ("boernehandicap",),
    2024,
    2024,
    "Dragør Kommune",
)


@pytest.fixture(scope="module")
def doc():
    return mail_doc()


@pytest.fixture(scope="module")
def pdfs(doc):
    mapping = default_mapping()
    bundled = load_remark_book(layered(), mapping)
    remarks = RemarkBook((*bundled.remarks, KOMMENTAR), bundled.arrangements)
    counts = {("155", "socialomraadet", 2023): 40, ("101", "socialomraadet", 2023): 9000}
    return council_pdf.CouncilPdfs(
        doc, mapping, remarks, BeneficiaryTable(counts), "https://kort.example.invalid/"
    )


def read(data: bytes):
    return pypdf.PdfReader(io.BytesIO(data))


def plain(reader) -> str:
    """The text of every page, with lines joined (a sentence may wrap); no-break spaces and
    minus signs as the PDF writes them (a space, an en dash)."""
    return norm(" ".join(p.extract_text() for p in reader.pages))


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2212", "\u2013"))


def test_metadata_language_tagging_and_size(pdfs) -> None:
    data = pdfs.pdf(DRAGOER)
    r = read(data)
    assert 1 <= len(r.pages) <= 2
    for page in r.pages:  # A4
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]
    assert r.metadata.title == "Omgørelsesprocenter 2024 – Dragør Kommune"
    root = r.trailer["/Root"]
    assert root["/Lang"] == "da-DK"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert b"<dc:title>" in root["/Metadata"].get_object().get_data()
    assert len(data) < 80_000  # two embedded font subsets and a page or two of text


def _tags(node, out: list[str]) -> list[str]:
    node = node.get_object()
    if node.get("/S"):
        out.append(str(node["/S"]))
    kids = node.get("/K")
    if isinstance(kids, list):
        for k in kids:
            if not isinstance(k, int):
                _tags(k, out)
    elif kids is not None and not isinstance(kids, int):
        _tags(kids, out)
    return out


def test_structure_tree_has_headings_tables_and_figures_with_alt(pdfs) -> None:
    r = read(pdfs.pdf(DRAGOER))
    tree = r.trailer["/Root"]["/StructTreeRoot"]
    tags = _tags(tree, [])
    assert tags[0] == "/Document"
    assert tags.count("/H1") == 1
    assert tags.count("/H2") == 3 + 2  # the three areas, remarks, source
    assert tags.count("/Table") == 3 and "/TH" in tags and "/TD" in tags
    figures = []

    def walk(node) -> None:
        node = node.get_object()
        if node.get("/S") == "/Figure":
            figures.append(str(node["/Alt"]))
        kids = node.get("/K")
        for k in kids if isinstance(kids, list) else []:
            if not isinstance(k, int):
                walk(k)

    walk(tree["/K"][0])
    assert len(figures) == 3
    assert figures[0].startswith("Søjlediagram: Dragørs omgørelsesprocent på socialområdet")


def test_every_marked_content_is_in_the_parent_tree(pdfs, doc) -> None:
    """Each page's MCIDs 0..n-1 map to a structure element (a reader finds each text's tag)."""
    r = read(pdfs.pdf(registry().by_code("101")))
    nums = r.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    per_page = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for i, page in enumerate(r.pages):
        content = page.get_contents().get_data().decode("latin-1")
        mcids = [int(m) for m in re.findall(r"<</MCID (\d+)>> BDC", content)]
        assert mcids == list(range(len(mcids)))
        assert len(per_page[int(page["/StructParents"])]) == len(mcids)
        for mcid, ref in enumerate(per_page[i]):
            assert ref.get_object()["/K"] == mcid
            assert ref.get_object()["/Pg"].get_object() == page.get_object()


def test_figures_danish_text_and_the_comparison_sentence(pdfs, doc) -> None:
    text = plain(read(pdfs.pdf(DRAGOER)))
    by_key = {(f.aar, f.omraade, f.kommunekode): f for f in doc.figures}
    f = by_key[(2024, "socialomraadet", "155")]
    land = by_key[(2024, "socialomraadet", "000")]
    shown = fmt.shown_figure(f, by_key[(2023, "socialomraadet", "155")])
    assert "Omgørelsesprocenter 2024 – Dragør Kommune" in text
    assert norm(f"Omgørelsesprocent 2024 {fmt.pct(f.omgoerelsesprocent)}") in text
    interval = fmt.pct_range(f.ci_lav, f.ci_hoej)
    assert norm(f"95 %-usikkerhedsinterval {interval}") in text
    assert f"Realitetsbehandlede sager {fmt.number(f.realitetsbehandlede)} (stadfæstet" in text
    assert norm(f"Ændring fra 2023 {fmt.pp(shown.change)}") in text
    rate, n = fmt.pct(land.omgoerelsesprocent), fmt.cases(land.realitetsbehandlede)
    assert norm(f"Hele landet {rate} af {n}") in text
    sentence = comparison.sentence(comparison.verdict(f, land), "Hele landet")
    assert sentence and norm(sentence) in text
    # Dragør had no voksenhandicap case in 2024: said, not hidden.
    assert "Ingen realitetsbehandlede sager i 2024" in text
    # The remarks: the cooperation with Tårnby (bundled) and the municipality's own comment.
    assert "Samarbejde om myndighedsopgaven" in text and "Tårnby Kommune" in text
    assert "Kommunens egen kommentar (kilde: Dragør Kommune; gælder 2024, børnehandicap)" in text
    assert KOMMENTAR.text in text
    # Source and date.
    assert "udtrækket modtaget" in text and fmt.long_date(doc.received) in text
    assert "https://kort.example.invalid/kommune/155-dragoer.html" in text
    assert "Side 1 af" in text


def test_recipients_and_cases_per_1000(pdfs, doc) -> None:
    f = next(
        f
        for f in doc.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "socialomraadet", "155")
    )
    text = plain(read(pdfs.pdf(DRAGOER)))
    assert "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)." in text
    per_1000 = fmt.number(1000.0 * f.realitetsbehandlede / 40, 1)
    assert (
        norm(f"Det svarer til {per_1000} realitetsbehandlede klagesager i 2024 pr. 1.000") in text
    )
    assert "Modtagere af ydelser: Danmarks Statistik." in text
    # A municipality without a count is told so.
    other = plain(read(pdfs.pdf(registry().by_code("751"))))
    assert "Danmarks Statistik har ikke tal for, hvor mange borgere i Aarhus" in other


def test_without_recipients_no_recipients_line(doc) -> None:
    mapping = default_mapping()
    plain_pdfs = council_pdf.CouncilPdfs(doc, mapping, load_remark_book(layered(), mapping))
    text = plain(read(plain_pdfs.pdf(DRAGOER)))
    assert "Danmarks Statistik" not in text
    assert "Kommunens side" not in text  # no site URL given


def test_deterministic_and_the_mail_attaches_the_same_file(doc) -> None:
    ctx = context(doc=doc)
    first = ctx.council.pdf(DRAGOER)
    assert first == ctx.council.pdf(DRAGOER)
    mail = compose(ctx, DRAGOER)
    assert isinstance(mail, ComposedMail)
    msg = email.message_from_bytes(mail.raw, policy=policy.default)
    (pdf,) = [a for a in msg.iter_attachments() if a.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "omgoerelsesprocenter-2024-155-dragoer.pdf"
    assert pdf.get_content() == first
    body = msg.get_body(("plain",)).get_content()
    assert "omgoerelsesprocenter-2024-155-dragoer.pdf" in body
    assert "klar til kommunalbestyrelsens dagsorden" in body


def test_site_publishes_the_same_pdf_next_to_the_page_and_links_it(doc) -> None:
    from tests.unit.test_render import render

    site = render(doc=doc, site_url="https://kort.example.invalid/")
    files = {f.path: f.body for f in site.files}
    entries = {f.path: f.body for f in site.entry_points}
    pdf = files["kommune/155-dragoer.pdf"]
    assert entries["kommune/155-dragoer.pdf"] == pdf
    assert pdf == context(doc=doc).council.pdf(DRAGOER)  # the mail's attachment
    page = files["kommune/155-dragoer.html"].decode()
    assert 'href="../kommune/155-dragoer.pdf"' in page
    assert "Hent tallene som PDF til kommunalbestyrelsen" in page


def test_a_pdf_that_cannot_be_made_never_stops_the_mail(doc, monkeypatch, caplog) -> None:
    ctx = context(doc=doc)

    def broken(self, m):
        raise ValueError("broken remark")

    monkeypatch.setattr(council_pdf.CouncilPdfs, "pdf", broken)
    with caplog.at_level(logging.ERROR):
        mail = compose(ctx, DRAGOER)
    assert isinstance(mail, ComposedMail)
    assert not any(a.endswith(".pdf") for a in mail.attachments)
    assert "omgoerelsesprocenter-2024-155-dragoer.xlsx" in mail.attachments
    assert "council PDF of Dragør Kommune not made" in caplog.text


def test_a_pdf_that_cannot_be_made_never_stops_the_site(doc, monkeypatch, caplog) -> None:
    from tests.unit.test_render import render

    real = council_pdf.CouncilPdfs.pdf

    def broken_for_dragoer(self, m):
        if m.code == "155":
            raise ValueError("broken")
        return real(self, m)

    monkeypatch.setattr(council_pdf.CouncilPdfs, "pdf", broken_for_dragoer)
    with caplog.at_level(logging.ERROR):
        site = render(doc=doc)
    paths = {f.path for f in site.files}
    assert "kommune/155-dragoer.pdf" not in paths and "kommune/101-koebenhavn.pdf" in paths
    page = next(f.body for f in site.files if f.path == "kommune/155-dragoer.html").decode()
    assert ".pdf" not in page
    assert "council PDF of Dragør Kommune not made" in caplog.text


def test_odd_remark_text_is_written_not_refused(doc) -> None:
    """Characters outside Windows-1252, a word wider than the page, a very long remark."""
    odd = Remark(
        "155",
        "bemaerkning",
        "Tallene 2024 − se note ≥ 3 🙂 " + "x" * 300 + " " + "Lang bemærkning. " * 400,
        (),
        None,
        None,
        "Social- og Boligministeriet",
    )
    mapping = default_mapping()
    r = read(council_pdf.CouncilPdfs(doc, mapping, RemarkBook((odd,))).pdf(DRAGOER))
    text = plain(r)
    assert "Tallene 2024 – se note >= 3 ?" in text
    widths = pdf_writer.Document("x").wrap("x" * 300, pdf_writer.CONTENT_W, 9.5)
    assert len(widths) > 1 and b"".join(widths) == b"x" * 300  # cut, nothing lost
    assert len(r.pages) > 2  # long remarks flow onto more pages
    assert text.count("Lang bemærkning.") == 400


def test_writer_escapes_and_subsets_nothing_per_document() -> None:
    d = pdf_writer.Document("Test (a) \\ b")
    d.paragraph("Parentes (a) og \\ skråstreg, æøå ÆØÅ „citat“ – tankestreg")
    data = d.output()
    text = plain(read(data))
    assert "Parentes (a) og \\ skråstreg, æøå ÆØÅ „citat“ – tankestreg" in text
    assert read(data).metadata.title == "Test (a) \\ b"
    # The font objects are shared: the same compressed bytes in any document.
    fonts = [m for m in re.findall(rb"stream\n(.*?)\nendstream", data, re.S) if len(m) > 5000]
    assert len(fonts) == 2
    assert all(zlib.decompress(f)[:4] == b"\x00\x01\x00\x00" for f in fonts)  # TrueType


def test_council_pdfs_of_a_correction_mail_are_about_the_newest_year(doc) -> None:
    ctx = dataclasses.replace(context(doc=doc), correction_year=2023)
    assert ctx.newest_year == 2023
    assert ctx.council.latest == 2024  # the page's year: the same PDF as on the site


def test_dates_and_legal_references_are_not_wrapped_apart(doc) -> None:
    """'2. juni 2025', '1. januar 2007' and '§ 79 b' keep their no-break spaces in the PDF."""
    remark = Remark(
        "155",
        "bemaerkning",
        "Aftalen gælder fra 1. januar 2007 efter § 79 b, stk. 2. " * 6,
        (),
        None,
        None,
        "Social- og Boligministeriet",
    )
    r = read(council_pdf.CouncilPdfs(doc, default_mapping(), RemarkBook((remark,))).pdf(DRAGOER))
    raw = " ".join(p.extract_text() for p in r.pages)
    assert raw.count("1.\u00a0januar") == 6 and raw.count("§\u00a079") == 6
    assert "stk.\u00a02" in raw
    assert "modtaget 2.\u00a0juni" in raw.replace("\n", " ")
