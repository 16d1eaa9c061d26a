"""compute_rates through its real handler under moto, with events shaped as EventBridge sends."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from danmarkskort.events import EventError

from tests.conftest import DATA_BUCKET, shared_path
from tests.handlers import lambda_context as handler_context
from tests.handlers import load_app

REPO = Path(__file__).resolve().parents[2]


def load_handler():
    return load_app("compute_rates").handler


def lambda_context():
    return handler_context("compute_rates")


def object_created(
    key: str, size: int = 100, *, encode: bool = False, time: str = "2025-03-02T10:15:00Z"
) -> dict:
    """An S3 'Object Created' event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": time,
        "region": "eu-north-1",
        "resources": [f"arn:aws:s3:::{DATA_BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": DATA_BUCKET},
            "object": {
                "key": quote_plus(key, safe="/") if encode else key,
                "size": size,
                "etag": "d41d8cd98f00b204e9800998ecf8427e",
                "sequencer": "00617F08299329D189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "198.51.100.7",
            "reason": "PutObject",
        },
    }


CASES = (
    "Sagsnummer;Afgørelseskommune;Bopælskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"
    "24-1;Tårnby;Dragør;Serviceloven;§ 41;Stadfæstelse;2024-01-17\n"
    "24-2;185;155;Barnets lov;§ 86;Hjemvisning;05-03-2024\n"
    "24-3;Dragør Kommune;Dragør;Serviceloven;§ 83;ændret;21.06.2024\n"
    "24-4;Region Hovedstaden;;Serviceloven;§ 107;stadfæstet;2024-02-01\n"
)


def upload(aws, key: str, body: bytes) -> None:
    aws.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)


SMALL = json.dumps({"min_kommuner": 1}).encode()


@pytest.fixture
def small_extracts(aws):
    """The operators' config/udtraek.json lets an extract of a few municipalities through
    (the bundled one rejects it as a partial delivery)."""
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/udtraek.json", Body=SMALL)
    return aws


def json_object(aws, key: str) -> dict:
    return json.loads(aws.s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())


@pytest.mark.parametrize("encode", [False, True], ids=["raw-key", "url-encoded-key"])
def test_publishes_figures_for_a_danish_file_name(small_extracts, aws, encode):
    key = "incoming/Udtræk 2024 – Dragør & Tårnby+ny.csv"
    upload(aws, key, CASES.encode("cp1252"))
    result = load_handler()(object_created(key, encode=encode), lambda_context())

    assert result["status"] == "published"
    ident = result["extract_id"]
    assert aws.keys(DATA_BUCKET, f"extracts/{ident}/") == [
        f"extracts/{ident}/Udtræk 2024 – Dragør & Tårnby+ny.csv"
    ]
    assert aws.keys(DATA_BUCKET, f"results/{ident}/") == [
        f"results/{ident}/figures.csv",
        f"results/{ident}/figures.json",
        f"results/{ident}/validation.json",
    ]
    assert aws.keys(DATA_BUCKET, "rejected/") == []
    doc = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=f"results/{ident}/figures.json")["Body"].read()
    )
    assert doc["extract_file"] == "Udtræk 2024 – Dragør & Tårnby+ny.csv"
    social = {(f["kommunekode"]): f for f in doc["figures"] if f["omraade"] == "socialomraadet"}
    assert social["185"]["realitetsbehandlede"] == 2  # the Dragør resident's case counts for Tårnby
    assert social["155"]["aendret_ophaevet"] == 1
    head = aws.s3.head_object(Bucket=DATA_BUCKET, Key=f"results/{ident}/figures.csv")
    assert head["ContentType"] == "text/csv; charset=utf-8"
    validation = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=f"results/{ident}/validation.json")["Body"].read()
    )
    assert [w["code"] for w in validation["warnings"]] == ["excluded_instance", "partial_year"]

    emitted = aws.bus_events()
    assert [e["detail-type"] for e in emitted] == ["RatesComputed"]
    assert emitted[0]["source"] == "danmarkskort"
    assert emitted[0]["detail"]["keys"]["figures_json"] == f"results/{ident}/figures.json"
    assert emitted[0]["detail"]["years"] == [2024]


def test_duplicate_delivery_and_reupload_do_nothing_twice(small_extracts, aws):
    upload(aws, "incoming/a.csv", CASES.encode())
    handler = load_handler()
    event = object_created("incoming/a.csv")
    first = handler(event, lambda_context())
    stamp = aws.s3.head_object(Bucket=DATA_BUCKET, Key=first["keys"]["figures_json"])[
        "LastModified"
    ]
    assert len(aws.bus_events()) == 1

    second = handler(event, lambda_context())  # the same event delivered again
    upload(aws, "incoming/a copy.csv", CASES.encode())  # the same bytes uploaded again
    third = handler(object_created("incoming/a copy.csv"), lambda_context())

    assert second["extract_id"] == third["extract_id"] == first["extract_id"]
    assert aws.bus_events() == []
    assert (
        aws.s3.head_object(Bucket=DATA_BUCKET, Key=first["keys"]["figures_json"])["LastModified"]
        == stamp
    )
    assert len(aws.keys(DATA_BUCKET, "extracts/")) == 1


def test_rejected_extract_gets_report_and_publishes_nothing(aws):
    bad = CASES.replace("Stadfæstelse", "Måske").replace("24-3;", "24-2;")
    upload(aws, "incoming/forkert.csv", bad.encode())
    result = load_handler()(object_created("incoming/forkert.csv"), lambda_context())

    assert result["status"] == "rejected"
    ident = result["extract_id"]
    assert aws.keys(DATA_BUCKET, "results/") == []
    assert aws.keys(DATA_BUCKET, f"extracts/{ident}/") == [f"extracts/{ident}/forkert.csv"]
    report = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=f"rejected/{ident}/report.json")["Body"].read()
    )
    codes = {(e["code"], e["row"], e["value"]) for e in report["errors"]}
    assert codes == {("unknown_outcome", 2, "Måske"), ("duplicate_case", 4, "24-2")}
    text = (
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=f"rejected/{ident}/report.txt")["Body"]
        .read()
        .decode()
    )
    assert "AFVIST" in text and "række 2" in text
    emitted = aws.bus_events()
    assert [e["detail-type"] for e in emitted] == ["ExtractRejected"]
    assert emitted[0]["detail"]["problems"] == 2


def test_extract_over_the_size_limit_is_rejected_without_reading(aws, monkeypatch):
    monkeypatch.setenv("MAX_EXTRACT_BYTES", "100")
    upload(aws, "incoming/stor.csv", CASES.encode())
    result = load_handler()(object_created("incoming/stor.csv"), lambda_context())
    assert result["status"] == "rejected"
    report = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=result["keys"]["report_json"])["Body"].read()
    )
    assert [e["code"] for e in report["errors"]] == ["too_large"]
    archived = aws.keys(DATA_BUCKET, f"extracts/{result['extract_id']}/")
    assert archived
    # Copied server-side, yet labelled like a small archived extract: bytes of unknown
    # encoding, not "text/csv; charset=utf-8".
    head = aws.s3.head_object(Bucket=DATA_BUCKET, Key=archived[0])
    assert head["ContentType"] == "application/octet-stream"


def test_event_outside_incoming_is_refused(aws):
    upload(aws, "results/x/figures.json", b"{}")
    with pytest.raises(ValueError, match="incoming/"):
        load_handler()(object_created("results/x/figures.json"), lambda_context())
    assert aws.bus_events() == []


def test_event_from_another_bucket_is_refused_naming_the_bucket(aws):
    event = object_created("incoming/a.csv")
    event["detail"]["bucket"]["name"] = "someone-elses-bucket"
    with pytest.raises(
        ValueError, match=f"someone-elses-bucket.* not in the data bucket {DATA_BUCKET}"
    ):
        load_handler()(event, lambda_context())
    assert aws.bus_events() == []


def test_folder_marker_under_incoming_is_ignored(aws):
    """The S3 console's "Create folder" puts an empty object "incoming/": not an extract."""
    upload(aws, "incoming/", b"")
    result = load_handler()(object_created("incoming/", size=0), lambda_context())
    assert result["status"] == "ignored"
    assert aws.keys(DATA_BUCKET, "") == ["incoming/"]
    assert aws.bus_events() == []


def test_malformed_event_names_what_is_missing(aws):
    event = object_created("incoming/a.csv")
    del event["detail"]["object"]
    with pytest.raises(EventError, match=r"detail\.object: Field required"):
        load_handler()(event, lambda_context())


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda e: e["detail"]["bucket"].pop("name"), "detail.bucket.name"),
        (lambda e: e["detail"]["object"].update(key=None), "detail.object.key"),
        (lambda e: e.update(time="yesterday"), "time"),
        (lambda e: e.update(source="danmarkskort"), "source"),
        (lambda e: e.update({"detail-type": "Object Deleted"}), "detail-type"),
    ],
)
def test_a_malformed_event_is_one_error_naming_the_field(aws, change, says):
    upload(aws, "incoming/a.csv", b"x")
    event = object_created("incoming/a.csv")
    change(event)
    with pytest.raises(EventError, match=re.escape(says)):
        load_handler()(event, lambda_context())
    assert aws.bus_events() == []


def test_an_event_that_is_not_an_object_is_refused(aws):
    with pytest.raises(EventError, match="not an object"):
        load_handler()(["incoming/a.csv"], lambda_context())


def test_handed_out_example_extracts_compute(small_extracts, aws):
    for name in ("example_cases.csv", "example_aggregated.csv"):
        body = Path(shared_path("testdata", name)).read_bytes()
        upload(aws, f"incoming/{name}", body)
        result = load_handler()(object_created(f"incoming/{name}"), lambda_context())
        assert result["status"] == "published", name


def test_a_bug_fails_the_invocation_and_is_not_remembered_as_a_rejection(
    small_extracts, aws, monkeypatch
):
    """A program error must reach the failure queue and alarm, and be retried after a fix."""
    import danmarkskort.compute.evaluate as compute

    upload(aws, "incoming/a.csv", CASES.encode())
    event = object_created("incoming/a.csv")

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("simulated bug")

    with monkeypatch.context() as patch:
        patch.setattr(compute, "compute_figures", broken)
        with pytest.raises(RuntimeError, match="simulated bug"):
            load_handler()(event, lambda_context())
    assert aws.keys(DATA_BUCKET, "rejected/") == [] and aws.keys(DATA_BUCKET, "results/") == []
    assert aws.bus_events() == []

    # The fix is deployed; EventBridge's retry (or a replay) computes it.
    result = load_handler()(event, lambda_context())
    assert result["status"] == "published"


def test_a_rejection_the_config_caused_is_judged_again_under_the_corrected_config(
    small_extracts, aws
):
    """An override of areas.json whose mappings all run 2008-2010 leaves no 2024 row in any
    area, so the extract is rejected; once the override is fixed, a re-upload of the very
    same file is accepted. An accepted extract is not published twice because the
    configuration changed afterwards."""
    areas = json.loads(
        (REPO / "layer/danmarkskort/config/defaults/areas.json").read_text(encoding="utf-8")
    )
    broken = {
        **areas,
        "mappings": [{**m, "gyldig_fra": 2008, "gyldig_til": 2010} for m in areas["mappings"]],
    }
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/areas.json", Body=json.dumps(broken).encode())
    upload(aws, "incoming/a.csv", CASES.encode())
    handler = load_handler()
    assert handler(object_created("incoming/a.csv"), lambda_context())["status"] == "rejected"
    assert [e["detail-type"] for e in aws.bus_events()] == ["ExtractRejected"]

    aws.s3.delete_object(Bucket=DATA_BUCKET, Key="config/areas.json")  # the fix
    upload(aws, "incoming/a igen.csv", CASES.encode())
    again = handler(object_created("incoming/a igen.csv"), lambda_context())
    assert again["status"] == "published"
    assert [e["detail-type"] for e in aws.bus_events()] == ["RatesComputed"]

    # Accepted now: another configuration later does not publish it a second time.
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/areas.json", Body=json.dumps(areas).encode())
    upload(aws, "incoming/a tredje gang.csv", CASES.encode())
    third = handler(object_created("incoming/a tredje gang.csv"), lambda_context())
    assert third["status"] == "unchanged" and aws.bus_events() == []


def test_an_extract_of_only_older_years_says_so_in_the_report(small_extracts, aws):
    """2025 is published; an extract of 2024 alone is accepted for 2024 and the report says
    the front page keeps showing 2025."""
    pointer = {"seq": 3, "key": "record/states/000003.json", "years": [2023, 2024, 2025]}
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="record/current.json", Body=json.dumps(pointer).encode()
    )
    upload(aws, "incoming/gammel.csv", CASES.encode())
    result = load_handler()(object_created("incoming/gammel.csv"), lambda_context())
    assert result["status"] == "published"
    report = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=result["keys"]["validation"])["Body"].read()
    )
    [warning] = [w for w in report["warnings"] if w["code"] == "older_than_published"]
    assert "ældre end det nyeste offentliggjorte år (2025)" in warning["message"]
    assert "forsiden viser fortsat 2025" in warning["message"]


def test_a_partial_delivery_is_rejected_under_the_bundled_config(aws):
    """Two municipalities are no country: without an override the extract is rejected,
    naming the year and how many of the 98 it covers, and nothing is published."""
    upload(aws, "incoming/a.csv", CASES.encode())
    result = load_handler()(object_created("incoming/a.csv"), lambda_context())
    assert result["status"] == "rejected"
    report = json_object(aws, result["keys"]["report_json"])
    [error] = report["errors"]
    assert error["code"] == "partial_extract"
    assert error["message"].startswith("I 2024 har kun 2 af de 98 kommuner")
    assert "Dragør og Tårnby" in error["message"]
    assert report["facts"]["coverage"] == "2024: 2 af 98"
    assert aws.keys(DATA_BUCKET, "results/") == []
    assert [e["detail-type"] for e in aws.bus_events()] == ["ExtractRejected"]


def test_udtraek_json_is_part_of_the_judgement_a_lowered_minimum_publishes_the_same_file(aws):
    """A rejection as partial is judged again once operators lower min_kommuner on purpose;
    the national figure then names the two municipalities, not the country."""
    upload(aws, "incoming/a.csv", CASES.encode())
    handler = load_handler()
    assert handler(object_created("incoming/a.csv"), lambda_context())["status"] == "rejected"
    aws.bus_events()
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/udtraek.json", Body=SMALL)
    upload(aws, "incoming/a igen.csv", CASES.encode())
    again = handler(object_created("incoming/a igen.csv"), lambda_context())
    assert again["status"] == "published"
    doc = json_object(aws, again["keys"]["figures_json"])
    national = {f["kommune"] for f in doc["figures"] if f["kommunekode"] == "000"}
    assert national == {"De 2 kommuner i udtrækket"}
    assert doc["coverage"] == {"2024": 2}


def test_an_upload_at_half_past_midnight_on_new_years_day_accepts_that_days_decisions(
    small_extracts, aws
):
    """S3's event time is UTC: 23:30 on 31 December is 00:30 on 1 January in Denmark."""
    body = CASES.replace("2024-01-17", "2026-01-01")
    upload(aws, "incoming/nytaar.csv", body.encode())
    event = object_created("incoming/nytaar.csv", time="2025-12-31T23:30:00Z")
    result = load_handler()(event, lambda_context())
    assert result["status"] == "published", result
    assert result["received"] == "2025-12-31T23:30:00+00:00"
    assert 2026 in result["years"]
    report = json_object(aws, result["keys"]["validation"])
    assert report["received"] == "2025-12-31T23:30:00+00:00"
    assert report["facts"]["received"] == "1. januar 2026 kl. 00.30 (dansk tid)"
    assert report["facts"]["archive"] == f"extracts/{result['extract_id']}/nytaar.csv"
    head = aws.s3.head_object(Bucket=DATA_BUCKET, Key=report["facts"]["archive"])
    assert head["Metadata"] == {
        "source-key": "incoming/nytaar.csv",
        "received": "2025-12-31T23:30:00+00:00",
    }


def test_a_partial_extract_never_replaces_a_year_published_for_the_whole_country(
    small_extracts, aws
):
    """2024 is published from a complete extract; a deliberately partial one of 2024 would
    show the other municipalities as 'no cases': refused, nothing published."""
    pointer = {
        "seq": 3,
        "key": "record/states/000003.json",
        "years": [2024],
        "coverage": {"2024": 98},
    }
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="record/current.json", Body=json.dumps(pointer).encode()
    )
    upload(aws, "incoming/delvis.csv", CASES.encode())
    result = load_handler()(object_created("incoming/delvis.csv"), lambda_context())
    assert result["status"] == "rejected"
    report = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=result["keys"]["report_json"])["Body"].read()
    )
    [error] = [e for e in report["errors"] if e["code"] == "partial_over_complete"]
    assert "98 af de 98" in error["message"] and "dækker kun 2" in error["message"]
    listed = aws.s3.list_objects_v2(Bucket=DATA_BUCKET, Prefix="results/")
    assert listed.get("KeyCount", 0) == 0
    # A year published from a partial extract may be replaced by another partial one.
    pointer["coverage"] = {"2024": 3}
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="record/current.json", Body=json.dumps(pointer).encode()
    )
    upload(
        aws,
        "incoming/delvis igen.csv",
        (CASES + "24-9;Aarhus;;SEL;§ 85;Stadfæstet;2024-05-01\n").encode(),
    )
    again = load_handler()(object_created("incoming/delvis igen.csv"), lambda_context())
    assert again["status"] == "published"
