"""events/: one sample per trigger, shaped as AWS delivers it, routed by the template's own rules.

The patterns are taken from template.yaml and matched with the same matcher moto uses to route
events in the local chain, so a sample that drifts from its rule (or a rule from its sample)
fails here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from danmarkskort_tools.generator import extract_bytes
from danmarkskort_tools.local import Dispatcher, LocalAws, load_stack
from moto.events.models import EventPattern

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
SENDER = {"SenderAddress": "omgoerelser@example.invalid"}

# Which function each sample event must reach, and on which bus it arrives.
ROUTES = {
    "s3_object_created.json": ("ComputeRatesFunction", "default"),
    "rates_computed.json": ("RenderSiteFunction", "custom"),
    "site_published.json": ("NotifyMunicipalitiesFunction", "custom"),
    "consultation_opened.json": ("NotifyMunicipalitiesFunction", "custom"),
    "consultation_due.json": ("RenderSiteFunction", "custom"),
}


@pytest.fixture(scope="module")
def stack():
    return load_stack(REPO, SENDER)


def _load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _matching_functions(stack, event: dict, bus: str) -> set[str]:
    out = set()
    for rule in stack.rules():
        if rule.bus != bus:
            continue
        if EventPattern(None, rule.pattern).matches_event(event):
            out |= {t.logical_id for t in rule.targets if t.kind == "function"}
    return out


def _bus(stack, which: str) -> str:
    return "default" if which == "default" else stack.physical_name("EventBus")


def test_every_sample_event_has_a_route():
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_sample_has_the_eventbridge_envelope(name):
    event = _load(name)
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0"
    dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    assert isinstance(event["resources"], list) and isinstance(event["detail"], dict)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_sample_reaches_exactly_its_function(stack, name):
    function, bus = ROUTES[name]
    event = _load(name)
    assert _matching_functions(stack, event, _bus(stack, bus)) == {function}
    other = "custom" if bus == "default" else "default"
    assert _matching_functions(stack, event, _bus(stack, other)) == set()


def test_s3_sample_key_is_danish_with_spaces():
    key = _load("s3_object_created.json")["detail"]["object"]["key"]
    assert key.startswith("incoming/") and " " in key and any(c in key for c in "æøå")


@pytest.mark.parametrize(
    "key",
    [
        "extracts/abc/udtræk.csv",
        "results/abc/figures.json",
        "rejected/abc/report.json",
        "notifications/abc/155.eml",
        "record/states/000001.json",
        "incoming",  # the prefix needs its slash
        "xincoming/udtræk.csv",
    ],
)
def test_nothing_a_function_writes_triggers_compute(stack, key):
    event = _load("s3_object_created.json")
    event["detail"]["object"]["key"] = key
    assert _matching_functions(stack, event, "default") == set()


def test_a_config_file_triggers_render_only(stack):
    """A new remarks.json re-renders the site (render writes nothing under config/)."""
    event = _load("s3_object_created.json")
    event["detail"]["object"]["key"] = "config/remarks.json"
    assert _matching_functions(stack, event, "default") == {"RenderSiteFunction"}


def test_s3_rule_ignores_other_buckets(stack):
    event = _load("s3_object_created.json")
    event["detail"]["bucket"]["name"] = "someone-elses-bucket"
    assert _matching_functions(stack, event, "default") == set()


@pytest.mark.parametrize("encode", [False, True], ids=["raw-key", "url-encoded-key"])
def test_compute_rates_handles_the_sample_event(stack, encode):
    """`sam local invoke -e events/s3_object_created.json`, locally: the real handler, the
    sample event, the object at its key. Both forms of the key must work (docs/design.md §6)."""
    event = copy.deepcopy(_load("s3_object_created.json"))
    key = event["detail"]["object"]["key"]
    with LocalAws(stack) as aws, open("/dev/null", "w") as log:
        aws.upload(key, extract_bytes(years=[2024], cases_per_year=1500, seed=7))
        stand_in = next(s for s in aws.stand_ins if s.target == "ComputeRatesFunction")
        aws.receive(stand_in.queue_url)  # the upload's own event is not what we test here
        if encode:
            event["detail"]["object"]["key"] = quote_plus(key, safe="/")
        dispatcher = Dispatcher(aws, log=log)
        invocation = dispatcher.invoke(stand_in, event)
        assert invocation.ok, invocation.error
        assert invocation.result["status"] == "published"
        emitted = aws.receive(aws.observer_url)
        assert [e["detail-type"] for e in emitted] == ["RatesComputed"]
        assert emitted[0]["detail"]["extract_file"] == key.rsplit("/", 1)[-1]


def test_the_function_url_sample_is_what_the_comment_function_parses(aws, monkeypatch):
    """events/function_url/comment_post.json: a POST as a function URL hands it over. Its
    token is made up, so the real handler answers with the plain 404 page: a forged link
    never reaches a round, whatever the round store holds."""
    import boto3
    from danmarkskort_tools.local.function_url import response_from

    from tests.conftest import REGION
    from tests.handlers import lambda_context, load_app

    event = json.loads((EVENTS / "function_url" / "comment_post.json").read_text("utf-8"))
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"].startswith("/kommentar/")
    monkeypatch.setenv("COMMENT_KEY_SECRET", "sample-key")
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="sample-key", SecretString="k" * 64
    )
    app = load_app("comment_page")
    response = response_from(app.handler(event, lambda_context("comment_page")))
    assert response.status == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Dragør" not in response.body.decode("utf-8")


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("consultation_opened.json", "ConsultationOpenedEvent"),
        ("consultation_due.json", "ConsultationDueEvent"),
    ],
)
def test_the_round_samples_are_what_the_handlers_parse(name, model):
    from danmarkskort import events

    parsed = events.parse_event(_load(name), getattr(events, model))
    assert parsed.detail.round_id == "044af35bd0accf59"
