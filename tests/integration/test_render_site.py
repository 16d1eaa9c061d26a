"""render_site through its real handler under moto, with RatesComputed as EventBridge sends it."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.figures import FiguresError
from danmarkskort.events import EventError
from danmarkskort.xlsx_writer import XLSX_TYPE

from tests.conftest import DATA_BUCKET, SITE_BUCKET, fixture_path, shared_path
from tests.figures_support import make_doc
from tests.handlers import lambda_context as handler_context
from tests.handlers import load_app

EXTRACT_A = "a1" * 32
EXTRACT_B = "b2" * 32


def load_handler():
    return load_app("render_site").handler


def lambda_context():
    return handler_context("render_site")


def rates_computed(extract_id: str, years=(2023, 2024)) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "RatesComputed",
        "source": "danmarkskort",
        "account": "123456789012",
        "time": "2025-06-02T08:14:11Z",
        "region": "eu-north-1",
        "resources": [],
        "detail": {
            "extract_id": extract_id,
            "extract_file": "udtraek_2024.csv",
            "received": "2025-06-02T08:14:09+00:00",
            "years": list(years),
            "bucket": DATA_BUCKET,
            "keys": {
                "figures_json": f"results/{extract_id}/figures.json",
                "figures_csv": f"results/{extract_id}/figures.csv",
                "validation": f"results/{extract_id}/validation.json",
            },
        },
    }


def put_figures(
    aws, extract_id: str, years=(2023, 2024), body: bytes | None = None, seed: int = 7
) -> None:
    if body is None:
        doc = make_doc(years=years, extract_id=extract_id, seed=seed)
        body = doc.to_json().encode("utf-8")
    aws.s3.put_object(Bucket=DATA_BUCKET, Key=f"results/{extract_id}/figures.json", Body=body)


def site_get(aws, key: str) -> dict:
    return aws.s3.get_object(Bucket=SITE_BUCKET, Key=key)


def site_text(aws, key: str) -> str:
    return site_get(aws, key)["Body"].read().decode("utf-8")


def test_publishes_versioned_site_then_entry_points_and_announces_it(aws):
    put_figures(aws, EXTRACT_A)
    result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    version = result["version"]
    prefix = f"v/{version}/"
    keys = aws.keys(SITE_BUCKET)
    for key in (
        "index.html",
        "versions.json",
        "laesevejledning.html",
        "2024/index.html",
        "2023/index.html",
        "2024/kort/boernehandicap.svg",
        "2024/kort/boernehandicap.html",
        "2024/data/omgoerelser-2024.csv",
        "2024/data/omgoerelser-2024.xlsx",
        "data/omgoerelser-2024.xlsx",
        "kommune/155-dragoer.html",
        f"{prefix}index.html",
        f"{prefix}manifest.json",
        f"{prefix}static/site.css",
        f"{prefix}static/site.js",
        f"{prefix}kommune/185-taarnby.html",
        f"{prefix}2024/data/omgoerelser-2024.json",
        f"{prefix}2024/data/omgoerelser-2024.xlsx",
        f"{prefix}data/omgoerelser-2024.xlsx",
    ):
        assert key in keys, key
    assert sum(k.startswith(f"{prefix}kommune/") and k.endswith(".html") for k in keys) == 98
    assert sum(k.startswith(f"{prefix}kommune/") and k.endswith(".pdf") for k in keys) == 98
    for key, ctype in (
        ("index.html", "text/html; charset=utf-8"),
        (f"{prefix}2024/kort/socialomraadet.svg", "image/svg+xml; charset=utf-8"),
        (f"{prefix}static/site.css", "text/css; charset=utf-8"),
        (f"{prefix}static/site.js", "text/javascript; charset=utf-8"),
        (f"{prefix}2024/data/omgoerelser-2024.csv", "text/csv; charset=utf-8"),
        (f"{prefix}2024/data/omgoerelser-2024.json", "application/json; charset=utf-8"),
        (f"{prefix}2024/data/omgoerelser-2024.xlsx", XLSX_TYPE),
        ("data/omgoerelser-2024.xlsx", XLSX_TYPE),
        ("kommune/155-dragoer.pdf", "application/pdf"),
        (f"{prefix}kommune/155-dragoer.pdf", "application/pdf"),
    ):
        assert site_get(aws, key)["ContentType"] == ctype, key
    assert "immutable" in site_get(aws, f"{prefix}index.html")["CacheControl"]
    assert site_get(aws, "index.html")["CacheControl"] == "public, max-age=60, must-revalidate"
    # The entry point links into the version; the versioned page is self-contained.
    assert f'href="{prefix}static/site.css"' in site_text(aws, "index.html")
    assert 'href="static/site.css"' in site_text(aws, f"{prefix}index.html")
    assert f'href="../{prefix}static/site.css"' in site_text(aws, "kommune/155-dragoer.html")

    events = aws.bus_events()
    assert [e["detail-type"] for e in events] == ["SitePublished"]
    detail = events[0]["detail"]
    assert detail["extract_id"] == EXTRACT_A and detail["years"] == [2023, 2024]
    assert detail["bucket"] == SITE_BUCKET and detail["data_bucket"] == DATA_BUCKET
    assert detail["figures_key"] == f"results/{EXTRACT_A}/figures.json"
    assert detail["site_url"] == "https://omgoerelser.example.invalid"
    links = detail["links"]
    assert links["reading_guide"] in keys
    assert links["municipality_page"].format(kommunekode="155", slug="dragoer") in keys
    assert links["year_page"].format(aar=2024) in keys
    assert detail["keys"]["index"] == "index.html"
    assert detail["keys"]["open_data"]["2024"]["csv"] in keys
    versions = json.loads(site_text(aws, "versions.json"))
    assert versions["current"] == version


def test_dragoer_and_tarnby_pages_say_who_decides(aws):
    put_figures(aws, EXTRACT_A)
    load_handler()(rates_computed(EXTRACT_A), lambda_context())
    dragoer = site_text(aws, "kommune/155-dragoer.html")
    assert (
        "Tårnby Kommune træffer afgørelserne (myndighedsopgaven) i Dragør Kommunes sager" in dragoer
    )
    assert "tæller derfor med i Tårnby Kommunes tal og ikke i Dragør Kommunes" in dragoer
    tarnby = site_text(aws, "kommune/185-taarnby.html")
    assert "Tårnby Kommunes tal om børnehandicap omfatter også Dragør Kommunes sager" in tarnby
    svg = site_text(aws, "2024/kort/boernehandicap.svg")
    assert "Tårnby Kommune træffer afgørelserne" in svg  # on the map tooltip too


def test_same_event_twice_publishes_once(aws):
    put_figures(aws, EXTRACT_A)
    handler = load_handler()
    event = rates_computed(EXTRACT_A)
    first = handler(event, lambda_context())
    before = {k: site_get(aws, k)["LastModified"] for k in ("index.html", "versions.json")}
    redelivered = {**event, "id": str(uuid.uuid4())}
    second = handler(redelivered, lambda_context())
    assert second == first
    assert [e["detail-type"] for e in aws.bus_events()] == ["SitePublished"]
    assert {k: site_get(aws, k)["LastModified"] for k in before} == before


def test_new_extract_publishes_new_version_and_keeps_the_old_one(aws):
    put_figures(aws, EXTRACT_A)
    handler = load_handler()
    first = handler(rates_computed(EXTRACT_A), lambda_context())
    put_figures(aws, EXTRACT_B, years=(2023, 2024, 2025))
    second = handler(rates_computed(EXTRACT_B, (2023, 2024, 2025)), lambda_context())
    assert first["version"] != second["version"]
    assert f"v/{first['version']}/index.html" in aws.keys(SITE_BUCKET)
    assert "2025/index.html" in aws.keys(SITE_BUCKET)
    versions = json.loads(site_text(aws, "versions.json"))
    assert [v["version"] for v in versions["versions"]] == [second["version"], first["version"]]
    assert f"v/{second['version']}/" in site_text(aws, "index.html")


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"{not json",
        b'{"extract_id": "x", "extract_file": "f", "received": "r", "figures": []}',
    ],
    ids=["missing", "corrupt", "empty"],
)
def test_missing_or_corrupt_figures_fail_loudly_and_keep_the_old_site(aws, body):
    put_figures(aws, EXTRACT_A)
    handler = load_handler()
    handler(rates_computed(EXTRACT_A), lambda_context())
    aws.bus_events()
    before = {k: site_get(aws, k)["ETag"] for k in aws.keys(SITE_BUCKET)}
    if body is not None:
        put_figures(aws, EXTRACT_B, body=body)
    with pytest.raises((FiguresError, FileNotFoundError)):
        handler(rates_computed(EXTRACT_B), lambda_context())
    assert {k: site_get(aws, k)["ETag"] for k in aws.keys(SITE_BUCKET)} == before
    assert aws.bus_events() == []


def test_incomplete_figures_fail_loudly(aws):
    doc = make_doc(years=(2024,), extract_id=EXTRACT_B)
    from tests.figures_support import doc_without

    put_figures(aws, EXTRACT_B, body=doc_without(doc, "825").to_json().encode("utf-8"))
    with pytest.raises(ValueError, match=r"figures are incomplete.*825"):
        load_handler()(rates_computed(EXTRACT_B, (2024,)), lambda_context())
    assert aws.keys(SITE_BUCKET) == []


def test_failure_midway_leaves_the_previous_site_and_a_retry_succeeds(aws, monkeypatch):
    put_figures(aws, EXTRACT_A)
    handler = load_handler()
    handler(rates_computed(EXTRACT_A), lambda_context())
    aws.bus_events()
    entry_before = {
        k: site_text(aws, k) for k in ("index.html", "2024/index.html", "versions.json")
    }
    put_figures(aws, EXTRACT_B, seed=8)  # other figures: a correction of both years
    real_put = Bucket.put
    calls = {"n": 0}

    def failing_put(self, key, body, **kw):
        calls["n"] += 1
        if self.name == SITE_BUCKET and calls["n"] == 120:
            raise ConnectionError("S3 went away")
        return real_put(self, key, body, **kw)

    monkeypatch.setattr(Bucket, "put", failing_put)
    with pytest.raises(ConnectionError):
        handler(rates_computed(EXTRACT_B), lambda_context())
    assert {k: site_text(aws, k) for k in entry_before} == entry_before
    assert aws.bus_events() == []
    monkeypatch.setattr(Bucket, "put", real_put)
    result = handler(rates_computed(EXTRACT_B), lambda_context())  # the retry EventBridge makes
    assert f"v/{result['version']}/" in site_text(aws, "index.html")
    assert [e["detail-type"] for e in aws.bus_events()] == ["SitePublished"]


def _root(aws) -> dict[str, bytes]:
    """Every object of the site outside v/ (what readers see at the stable addresses; the
    open data's XLSX among them, so bytes)."""
    keys = [k for k in aws.keys(SITE_BUCKET) if not k.startswith("v/")]
    return {k: site_get(aws, k)["Body"].read() for k in keys}


def test_a_persistent_failure_during_the_entry_points_leaves_the_old_site_whole(aws, monkeypatch):
    put_figures(aws, EXTRACT_A)
    handler = load_handler()
    handler(rates_computed(EXTRACT_A), lambda_context())
    aws.bus_events()
    before = _root(aws)
    put_figures(aws, EXTRACT_B, years=(2023, 2024, 2025), seed=8)  # a new year: new pages
    real_put = Bucket.put

    def refusing(self, key, body, **kw):
        # S3 keeps refusing one entry point (say, a bucket policy or object lock on it).
        if self.name == SITE_BUCKET and key == "kommune/155-dragoer.html":
            raise PermissionError("AccessDenied: kommune/155-dragoer.html")
        return real_put(self, key, body, **kw)

    monkeypatch.setattr(Bucket, "put", refusing)
    for _ in range(3):  # the invocation and Lambda's two retries
        with pytest.raises(PermissionError):
            handler(rates_computed(EXTRACT_B, (2023, 2024, 2025)), lambda_context())
        assert _root(aws) == before  # no page of the new version, no new year page
    assert aws.bus_events() == []
    monkeypatch.setattr(Bucket, "put", real_put)
    result = handler(rates_computed(EXTRACT_B, (2023, 2024, 2025)), lambda_context())
    after = _root(aws)
    assert "2025/index.html" in after
    assert f"v/{result['version']}/".encode() in after["index.html"]


def test_remarks_from_the_data_bucket_are_shown_as_text(aws):
    remark = {
        "kommunekode": "101",
        "kind": "kommentar",
        "text": 'Vi traf 4.000 afgørelser <script>alert("x")</script> & "mere"',
    }
    aws.s3.put_object(
        Bucket=DATA_BUCKET,
        Key="config/remarks.json",
        Body=json.dumps({"remarks": [remark]}).encode("utf-8"),
    )
    put_figures(aws, EXTRACT_A)
    load_handler()(rates_computed(EXTRACT_A), lambda_context())
    page = site_text(aws, "kommune/101-koebenhavn.html")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;mere&#34;" in page
    svg = site_text(aws, "2024/kort/socialomraadet.svg")
    assert "<script>alert" not in svg and "&lt;script&gt;" in svg


def test_bad_config_is_rejected_and_nothing_is_published(aws):
    bad = {"remarks": [{"kommunekode": "999", "kind": "kommentar", "text": "x"}]}
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="config/remarks.json", Body=json.dumps(bad).encode("utf-8")
    )
    put_figures(aws, EXTRACT_A)
    with pytest.raises(ConfigError, match=r"remarks\.json: remarks\[0\]\.kommunekode: "):
        load_handler()(rates_computed(EXTRACT_A), lambda_context())
    assert aws.keys(SITE_BUCKET) == []


@pytest.mark.parametrize(
    ("geojson", "attribution"),
    [
        # Our own small synthetic boundaries: always there.
        (lambda: fixture_path("kommuner-mini.geojson"), None),
        # The real DAGI boundaries handed out beside the repo.
        pytest.param(
            lambda: shared_path("geo", "kommuner.geojson"),
            "Geodatastyrelsen",
            marks=pytest.mark.dagi,
        ),
    ],
)
def test_configured_geojson_gives_a_geographic_map(aws, geojson, attribution):
    body = geojson().read_bytes()
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/kommuner.geojson", Body=body)
    put_figures(aws, EXTRACT_A)
    result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    svg = site_text(aws, f"v/{result['version']}/2024/kort/socialomraadet.svg")
    assert 'data-kort="geografisk"' in site_text(aws, "2024/kort/socialomraadet.html")
    assert svg.count('<a class="kommune') == 98
    assert "Bornholm" in svg and "Christiansø" not in svg
    if attribution:
        assert attribution in svg  # attribution of the boundaries


def test_event_without_figures_key_is_an_error(aws):
    event = rates_computed(EXTRACT_A)
    del event["detail"]["keys"]["figures_json"]
    with pytest.raises(EventError, match=r"detail\.keys\.figures_json: Field required"):
        load_handler()(event, lambda_context())


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda e: e["detail"].update(extract_id="../x"), "detail.extract_id"),
        (lambda e: e["detail"].update(years=[]), "detail.years"),
        (lambda e: e["detail"].update(years=["2024x"]), "detail.years[0]"),
        (lambda e: e["detail"].update(keys="results/x/figures.json"), "detail.keys"),
        (lambda e: e["detail"].update(event_version=2), "detail.event_version"),
        (lambda e: e.update({"detail-type": "SitePublished"}), "detail-type"),
        (lambda e: e.update(source="aws.s3"), "source"),
        (lambda e: e.pop("detail"), "detail: Field required"),
    ],
)
def test_a_malformed_event_is_one_error_naming_the_field(aws, change, says):
    put_figures(aws, EXTRACT_A)
    event = rates_computed(EXTRACT_A)
    change(event)
    with pytest.raises(EventError, match=re.escape(says)):
        load_handler()(event, lambda_context())
    assert aws.keys(SITE_BUCKET) == []


def test_an_event_naming_another_data_bucket_is_refused(aws):
    put_figures(aws, EXTRACT_A)
    event = rates_computed(EXTRACT_A)
    event["detail"]["bucket"] = "someone-elses-bucket"
    with pytest.raises(EventError, match="someone-elses-bucket"):
        load_handler()(event, lambda_context())
    assert aws.keys(SITE_BUCKET) == []


def test_the_manifest_carries_the_links_notify_uses(aws):
    put_figures(aws, EXTRACT_A)
    result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    manifest = json.loads(
        aws.s3.get_object(Bucket=SITE_BUCKET, Key=result["keys"]["manifest"])["Body"].read()
    )
    assert manifest["links"] == result["links"]
    assert manifest["figures_key"] == f"results/{EXTRACT_A}/figures.json"
    assert manifest["extract_id"] == EXTRACT_A
    prefix = f"v/{result['version']}/"
    for aar in (2023, 2024):  # the open data for people is published as the CSV is
        for kind in ("csv", "xlsx"):
            assert f"{prefix}{aar}/data/omgoerelser-{aar}.{kind}" in manifest["files"]
            assert f"{prefix}data/omgoerelser-{aar}.{kind}" in manifest["files"]
            assert f"data/omgoerelser-{aar}.{kind}" in manifest["entry_points"]


def test_the_published_xlsx_reads_back_as_the_site_shows_the_figures(aws):
    import io

    import openpyxl

    put_figures(aws, EXTRACT_A)
    result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    body = site_get(aws, f"v/{result['version']}/2024/data/omgoerelser-2024.xlsx")["Body"].read()
    assert body == site_get(aws, "data/omgoerelser-2024.xlsx")["Body"].read()
    ws = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    [aarhus] = [
        r for r in rows if r["Kommunekode"] == "751" and r["Område"] == "Socialområdet generelt"
    ]
    page = site_text(aws, "kommune/751-aarhus.html")
    assert f'<p class="stortal">{aarhus["Omgørelsesprocent"]}\u00a0%' in page


def test_recipients_from_the_data_bucket_are_shown(aws):
    body = "kommunekode;omraade;aar;modtagere\n155;boernehandicap;2023;40\n"
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/modtagere.csv", Body=body.encode())
    put_figures(aws, EXTRACT_A)
    result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    assert result["beneficiaries"] == {"status": "ok", "files": ["modtagere.csv"]}
    page = " ".join(site_text(aws, "kommune/155-dragoer.html").split())
    assert "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)." in page


def test_a_bad_recipients_file_never_stops_the_figures(aws, caplog):
    body = (
        "kommunekode;omraade;aar;modtagere\n155;boernehandicap;2023;40\n999;boernehandicap;2023;x\n"
    )
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/modtagere.csv", Body=body.encode())
    put_figures(aws, EXTRACT_A)
    with caplog.at_level("WARNING"):
        result = load_handler()(rates_computed(EXTRACT_A), lambda_context())
    assert result["status"] == "published"
    problems = [
        "modtagere.csv: line 3: kommunekode: unknown municipality '999'",
        "modtagere.csv: line 3: modtagere: 'x' is not a whole number (or ..)",
    ]
    assert result["beneficiaries"]["status"] == "rejected"
    assert result["beneficiaries"]["problems"] == problems
    warned = [r for r in caplog.records if hasattr(r, "beneficiaries")]
    assert len(warned) == 1 and problems[0] in warned[0].getMessage()
    manifest = json.loads(site_text(aws, f"v/{result['version']}/manifest.json"))
    assert manifest["beneficiaries"]["problems"] == problems
    page = site_text(aws, "kommune/155-dragoer.html")
    assert "Danmarks Statistik" not in page  # published without the rejected counts
