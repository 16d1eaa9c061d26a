"""The whole chain as users run it: an extract uploaded to the local AWS (built from
template.yaml) reaches compute_rates, render_site and notify_municipalities only through the
template's own rules. A published extract ends in figures, a site and 98 mails; a rejected
one ends with ExtractRejected and nothing published; a rule whose pattern no longer matches
what the previous step emits stops the chain.
"""

from __future__ import annotations

import copy
import email
import email.policy
import json
from pathlib import Path

import pytest
from danmarkskort.domain.municipalities import registry
from danmarkskort_tools.cli import main
from danmarkskort_tools.generator import write_extract
from danmarkskort_tools.local import Dispatcher, LocalAws, load_stack, run_chain, summary
from danmarkskort_tools.local.aws import LOCAL_SENDER
from danmarkskort_tools.local.chain import local_overrides
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.invitations import free_port
from tests.local_serve import serving

REPO = Path(__file__).resolve().parents[2]
EXTRACT_NAME = "Ankestyrelsen udtræk 2023-2024 – Dragør & Tårnby.csv"


def _codes() -> list[str]:
    return sorted(m.code for m in registry().municipalities)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One full run, shared by the assertions about what it published."""
    root = tmp_path_factory.mktemp("chain")
    extract = root / EXTRACT_NAME
    write_extract(extract, years=[2023, 2024], cases_per_year=6000, seed=11)
    lines: list[str] = []
    result = run_chain(extract, out=root / "out", progress=lines.append)
    return result, lines


def _quiet(_line: str) -> None:
    pass


def test_published_extract_runs_through_all_three_functions(published):
    result, lines = published
    assert result.status == "published", summary(result)
    assert result.exit_code == 0
    assert [i.label for i in result.invocations] == [
        "compute_rates",
        "render_site",
        "notify_municipalities",
    ]
    assert all(i.ok and i.attempts == 1 for i in result.invocations)
    assert [i.trigger for i in result.invocations] == [
        "Object Created",
        "RatesComputed",
        "SitePublished",
    ]
    assert any("compute_rates" in line and "RatesComputed" in line for line in lines)


def test_figures_results_are_written(published):
    result, _ = published
    results = result.out / "results"
    assert sorted(p.name for p in results.iterdir()) == [
        "figures.csv",
        "figures.json",
        "validation.json",
    ]
    doc = json.loads((results / "figures.json").read_text(encoding="utf-8"))
    assert doc["extract_id"] == result.extract_id
    assert doc["extract_file"] == EXTRACT_NAME
    header = (results / "figures.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("aar,omraade,kommunekode,kommune")


def test_site_is_downloaded(published):
    result, _ = published
    site = result.out / "site"
    assert (site / "index.html").is_file()
    assert result.counts["pages"] >= 98
    assert result.counts["site_files"] == sum(1 for p in site.rglob("*") if p.is_file())


def test_98_mails_one_per_municipality(published):
    result, _ = published
    outbox = result.out / "outbox"
    names = sorted(p.stem for p in outbox.glob("*.eml"))
    assert names == _codes()
    assert len(names) == 98
    notified = [
        e for e in result.of_type("MunicipalityNotified") if e["detail"]["kommunekode"] != "000"
    ]
    assert sorted(e["detail"]["kommunekode"] for e in notified) == names
    message = email.message_from_bytes(
        (outbox / "155.eml").read_bytes(), policy=email.policy.default
    )
    assert LOCAL_SENDER in message["From"]
    assert message["Subject"]
    assert "Dragør" in message.get_body(preferencelist=("plain",)).get_content()


def test_sample_events_carry_what_the_functions_emit(published):
    """events/*.json must not drift from the real details (same keys, same key names)."""
    result, _ = published
    for name, detail_type in (
        ("rates_computed.json", "RatesComputed"),
        ("site_published.json", "SitePublished"),
    ):
        sample = json.loads((REPO / "events" / name).read_text(encoding="utf-8"))["detail"]
        (emitted,) = result.of_type(detail_type)
        assert set(sample) == set(emitted["detail"]), name
        for key in ("keys", "links"):
            if key in sample:
                assert set(sample[key]) == set(emitted["detail"][key]), f"{name}: {key}"


def test_summary_names_the_paths_to_open(published):
    result, _ = published
    text = summary(result)
    assert "Published: years 2023, 2024" in text
    for part in ("results", "site", "outbox", "chain.log"):
        assert part in text


@pytest.fixture
def rejected_extract(tmp_path) -> Path:
    path = tmp_path / "udtræk med fejl.csv"
    write_extract(path, years=[2024], cases_per_year=800, seed=3)
    lines = path.read_text(encoding="utf-8").splitlines()
    # An outcome label Ankestyrelsen does not use: the whole extract must be rejected.
    column = lines[0].split(";").index("Afgørelse")
    fields = lines[5].split(";")
    fields[column] = "Delvis medhold"
    lines[5] = ";".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rejected_extract_ends_the_chain(rejected_extract, tmp_path):
    out = tmp_path / "out"
    result = run_chain(rejected_extract, out=out, progress=_quiet)
    assert result.status == "rejected", summary(result)
    assert result.exit_code == 2
    assert [e["detail-type"] for e in result.events] == ["ExtractRejected"]
    assert [i.label for i in result.invocations] == ["compute_rates"]
    assert (out / "rejected" / "report.txt").read_text(encoding="utf-8").startswith("Udtrækket")
    assert "Delvis medhold" in (out / "rejected" / "report.txt").read_text(encoding="utf-8")
    assert not (out / "site").exists() and not any((out / "outbox").iterdir())
    assert not (out / "results").exists()
    # The operators' topic hears about it through the template's ExtractRejectedRule.
    assert [(n.rule, n.target) for n in result.notices] == [("ExtractRejectedRule", "AlarmTopic")]


# Each rule of the chain, mutated so that it no longer matches what really arrives.
MUTATIONS = {
    "ComputeRatesFunction": (
        "ExtractUploaded",
        ("detail", "object", "key"),
        [{"prefix": "uploads/"}],
    ),
    "RenderSiteFunction": ("RatesComputed", ("detail-type",), ["RatesCalculated"]),
    "NotifyMunicipalitiesFunction": ("SitePublished", ("source",), ["danmarkskort.site"]),
}


@pytest.mark.parametrize("function", sorted(MUTATIONS))
def test_a_rule_that_does_not_match_stops_the_chain(function, tmp_path):
    stack = load_stack(REPO, {"SenderAddress": LOCAL_SENDER})
    stack.template = copy.deepcopy(stack.template)
    event_id, path, value = MUTATIONS[function]
    pattern = stack.template["Resources"][function]["Properties"]["Events"][event_id]["Properties"][
        "Pattern"
    ]
    for part in path[:-1]:
        pattern = pattern[part]
    pattern[path[-1]] = value
    extract = tmp_path / "udtræk.csv"
    write_extract(extract, years=[2024], cases_per_year=1500, seed=5)
    result = run_chain(extract, out=tmp_path / "out", progress=_quiet, stack=stack)
    assert result.status == "stopped", summary(result)
    assert result.exit_code != 0
    assert function not in {i.function for i in result.invocations}
    assert not any((tmp_path / "out" / "outbox").iterdir())  # empty: no mail was sent
    assert "no rule of template.yaml" in result.reason


def test_cli_run_and_validate_exit_2_on_a_rejected_extract(rejected_extract, tmp_path, capsys):
    assert main(["validate", str(rejected_extract)]) == 2
    assert "AFVIST" in capsys.readouterr().out
    assert main(["run", str(rejected_extract), "--out", str(tmp_path / "out")]) == 2
    printed = capsys.readouterr().out
    assert "REJECTED" in printed and "AFVIST" in printed
    assert (tmp_path / "out" / "rejected" / "report.json").is_file()


def test_cli_run_uploads_the_config_directory(tmp_path, capsys):
    """--config DIR lands under config/ in the data bucket, where the functions read it."""
    config = tmp_path / "config"
    config.mkdir()
    # A cooperation arrangement file with no arrangements: the bundled Tårnby/Dragør remark
    # must then be gone from Dragør's page.
    bundled = REPO / "layer" / "danmarkskort" / "config" / "defaults" / "cooperation.json"
    doc = json.loads(bundled.read_text(encoding="utf-8"))
    assert "Tårnby" in bundled.read_text(encoding="utf-8")
    emptied = {k: ([] if isinstance(v, list) else v) for k, v in doc.items()}
    (config / "cooperation.json").write_text(json.dumps(emptied), encoding="utf-8")
    extract = tmp_path / "udtræk.csv"
    write_extract(extract, years=[2024], cases_per_year=1500, seed=5)
    out = tmp_path / "out"
    assert main(["run", str(extract), "--config", str(config), "--out", str(out)]) == 0
    assert "config/cooperation.json" in capsys.readouterr().out
    (page,) = (out / "site").glob("v/*/kommune/155-*.html")
    page = page.read_text(encoding="utf-8")
    assert "Tårnby" not in page


def test_cli_serve_shows_the_site_on_localhost(published):
    import urllib.request

    result, _ = published
    port = free_port()
    with (
        serving(result.out, port, timeout=15),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp,
    ):
        body = resp.read().decode("utf-8")
        ctype = resp.headers["Content-Type"]
    assert "text/html" in ctype
    assert body == (result.out / "site" / "index.html").read_text(encoding="utf-8")


# The local AWS signs each function's calls as an IAM user holding that function's policy
# statements from template.yaml, so a permission the code needs but the template lacks fails
# here as it would in AWS.
MISSING_PERMISSIONS = {
    "ComputeRatesFunction": ("WriteArchiveResultsRejections", "results/*"),
    "RenderSiteFunction": ("PublishSite", None),
    "NotifyMunicipalitiesFunction": ("Ledger", None),
}


@pytest.mark.parametrize("function", sorted(MISSING_PERMISSIONS))
def test_a_permission_missing_from_the_template_fails_the_chain(function, tmp_path):
    stack = load_stack(REPO, {"SenderAddress": LOCAL_SENDER})
    stack.template = copy.deepcopy(stack.template)
    sid, resource = MISSING_PERMISSIONS[function]
    policy = stack.template["Resources"][function]["Properties"]["Policies"][0]
    statement = next(s for s in policy["Statement"] if s["Sid"] == sid)
    if resource is None:
        policy["Statement"].remove(statement)
    else:
        statement["Resource"] = [
            r for r in statement["Resource"] if not str(r).endswith(f"/{resource}'}}")
        ]
        assert len(statement["Resource"]) == 2
    extract = tmp_path / "udtræk.csv"
    write_extract(extract, years=[2024], cases_per_year=1000, seed=5)
    result = run_chain(extract, out=tmp_path / "out", progress=_quiet, stack=stack)
    assert result.status == "failed", summary(result)
    failed = [i for i in result.invocations if not i.ok]
    assert [i.function for i in failed] == [function]
    assert "AccessDenied" in failed[0].error or "not authorized" in failed[0].error


def test_a_duplicated_upload_event_changes_nothing(tmp_path):
    """S3 and EventBridge deliver at least once: the same 'Object Created' twice must still
    give one site version and exactly 98 mails."""
    stack = load_stack(REPO, {"SenderAddress": LOCAL_SENDER})
    extract = tmp_path / "udtræk.csv"
    write_extract(extract, years=[2024], cases_per_year=1000, seed=5)
    with LocalAws(stack) as aws, (tmp_path / "chain.log").open("w") as log:
        dispatcher = Dispatcher(aws, log=log, overrides=local_overrides("http://127.0.0.1:8000"))
        aws.upload("incoming/udtræk.csv", extract.read_bytes())
        compute = next(s for s in aws.stand_ins if s.target == "ComputeRatesFunction")
        (event,) = aws.receive(compute.queue_url)
        for _ in range(2):
            aws.client("sqs").send_message(
                QueueUrl=compute.queue_url, MessageBody=json.dumps(event)
            )
        dispatcher.run()
        assert all(i.ok for i in dispatcher.invocations)
        observed = [e["detail-type"] for e in aws.receive(aws.observer_url)]
        assert observed.count("RatesComputed") == 1
        assert observed.count("SitePublished") == 1
        assert (
            len([k for k in aws.keys(aws.data_bucket, "notifications/") if k.endswith(".eml")])
            == 98
        )
        assert len(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages) == 98
