"""`danmarkskort run EXTRACT --state DIR` keeps the local AWS between commands (docs/design.md
§7, "Local state"): consecutive runs behave like consecutive uploads to one deployed stack.
The same extract again publishes and sends nothing (compute's idempotency record is in the
restored table); another extract adds its site version next to the first. A directory that
is not a state, a state of another format version, or a damaged one is refused with its
path, never started afresh over.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from danmarkskort_tools.cli import main
from danmarkskort_tools.generator import write_extract
from danmarkskort_tools.local import LocalAws, LocalState, StateError, load_stack, run_chain
from danmarkskort_tools.local import state as state_module
from danmarkskort_tools.local.aws import LOCAL_SENDER
from danmarkskort_tools.local.chain import summary

REPO = Path(__file__).resolve().parents[2]
CASES = 300  # enough for every municipality to have a case; fast


def _quiet(_line: str) -> None:
    pass


def _extract(path: Path, years: list[int], seed: int) -> Path:
    write_extract(path, years=years, cases_per_year=CASES, seed=seed)
    return path


def _stack():  # type: ignore[no-untyped-def]
    return load_stack(REPO, {"SenderAddress": LOCAL_SENDER})


def _mails(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "outbox").iterdir())


def _versions(out: Path) -> dict:
    return json.loads((out / "site" / "versions.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Three commands on one state: extract A, A again, then extract B."""
    root = tmp_path_factory.mktemp("cycle")
    state = root / "state"
    a = _extract(root / "udtræk A.csv", [2024], seed=21)
    b = _extract(root / "udtræk B.csv", [2024, 2025], seed=22)
    runs = {}
    for name, extract in (("first", a), ("again", a), ("other", b)):
        out = root / f"out-{name}"
        result = run_chain(extract, out=out, progress=_quiet, state=state)
        runs[name] = result
        # Each state as it was after this command, for the tests that damage or inspect it.
        shutil.copytree(state, root / f"state-after-{name}", ignore=shutil.ignore_patterns(".lock"))
    return root, state, runs


def test_a_run_with_a_new_state_publishes_and_saves_the_state(cycle):
    root, _, runs = cycle
    first = runs["first"]
    assert first.status == "published", summary(first)
    assert [i.label for i in first.invocations] == [
        "compute_rates",
        "render_site",
        "notify_municipalities",
    ]
    notified = [
        e["detail"]["kommunekode"]
        for e in first.of_type("MunicipalityNotified")
        if e["detail"]["kommunekode"] != "000" and e["detail"]["status"] == "sent"
    ]
    assert _mails(first.out) == sorted(f"{code}.eml" for code in notified)
    assert len(notified) > 90
    saved = root / "state-after-first"
    doc = json.loads((saved / "state.json").read_text(encoding="utf-8"))
    assert doc["format"] == "danmarkskort-local-state" and doc["format_version"] == 1
    assert set(doc["buckets"]) == {"DataBucket", "SiteBucket", "AccessLogBucket"}
    assert set(doc["tables"]) == {"StateTable"}
    assert doc["queues"]["messages"] == 0
    snapshot = saved / doc["snapshot"]
    site = json.loads((snapshot / "s3" / "SiteBucket" / "index.json").read_text("utf-8"))
    assert len(site["objects"]) == doc["buckets"]["SiteBucket"]["objects"] > 98
    (index_html,) = [o for o in site["objects"] if o["key"] == "index.html"]
    assert index_html["headers"]["ContentType"] == "text/html; charset=utf-8"
    assert "max-age=60" in index_html["headers"]["CacheControl"]
    assert (snapshot / "s3" / "SiteBucket" / index_html["file"]).read_bytes() == (
        first.out / "site" / "index.html"
    ).read_bytes()
    data = json.loads((snapshot / "s3" / "DataBucket" / "index.json").read_text("utf-8"))
    (archive,) = [o for o in data["objects"] if o["key"].startswith("extracts/")]
    assert archive["metadata"]["source-key"] == "incoming/udtr\\xe6k A.csv"
    items = [
        json.loads(line)["Item"]
        for line in (snapshot / "dynamodb" / "StateTable.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(items) == doc["tables"]["StateTable"]["items"]
    assert any(i["id"]["S"].startswith("notify#") for i in items)  # the mail ledger
    idempotency = [i for i in items if not i["id"]["S"].startswith("notify#")]
    assert len(idempotency) == 2  # compute and render, once each
    assert all("N" in i["expiration"] for i in items)
    assert "State: saved in" in summary(first)


def test_the_same_extract_again_publishes_nothing_and_sends_no_mail(cycle):
    _, _, runs = cycle
    first, again = runs["first"], runs["again"]
    assert again.status == "unchanged", summary(again)
    assert again.exit_code == 0
    assert again.extract_id == first.extract_id
    # The restore triggered nothing: only this upload reached compute, which found its
    # idempotency record and announced nothing, so render and notify never ran.
    assert [i.label for i in again.invocations] == ["compute_rates"]
    assert again.events == []
    assert (again.out / "outbox").is_dir() and _mails(again.out) == []
    assert "outbox" not in again.paths
    # The site is still there, exactly as after the first run; the figures are this extract's.
    assert (again.out / "site" / "index.html").read_bytes() == (
        first.out / "site" / "index.html"
    ).read_bytes()
    assert _versions(again.out) == _versions(first.out)
    assert (again.out / "results" / "figures.json").read_bytes() == (
        first.out / "results" / "figures.json"
    ).read_bytes()
    text = summary(again)
    assert "Unchanged: published already by an earlier command" in text
    assert "no mail was sent" in text


def test_another_extract_adds_its_version_next_to_the_first(cycle):
    _, _, runs = cycle
    first, other = runs["first"], runs["other"]
    assert other.status == "published", summary(other)
    assert other.extract_id != first.extract_id
    versions = _versions(other.out)
    listed = [v["version"] for v in versions["versions"]]
    assert listed == [other.extract_id[:16], first.extract_id[:16]]  # newest first
    assert versions["current"] == other.extract_id[:16]
    for result in (first, other):
        version = result.extract_id[:16]
        assert (other.out / "site" / "v" / version / "index.html").is_file()
        assert (other.out / "site" / "v" / version / "manifest.json").is_file()
    # results/ is this command's extract only; the outbox holds only this command's mails.
    figures = json.loads((other.out / "results" / "figures.json").read_text("utf-8"))
    assert figures["extract_id"] == other.extract_id
    sent = [
        e["detail"]
        for e in other.of_type("MunicipalityNotified")
        if e["detail"]["kommunekode"] != "000" and e["detail"].get("eml_key")
    ]
    assert len(sent) > 90
    assert {d["eml_key"].split("/")[1] for d in sent} == {other.extract_id}
    assert _mails(other.out) == sorted(f"{d['kommunekode']}.eml" for d in sent)


def test_a_rejected_run_is_state_too_and_its_repeat_is_rejected_again(tmp_path, capsys):
    state = tmp_path / "state"
    bad = tmp_path / "udtræk med fejl.csv"
    write_extract(bad, years=[2024], cases_per_year=800, seed=3)  # as in test_chain.py
    lines = bad.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(";").index("Afgørelse")
    fields = lines[5].split(";")
    fields[column] = "Delvis medhold"
    lines[5] = ";".join(fields)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for attempt in range(2):
        out = tmp_path / f"out{attempt}"
        assert main(["run", str(bad), "--state", str(state), "--out", str(out)]) == 2
        printed = capsys.readouterr().out
        assert "REJECTED" in printed
        assert "Delvis medhold" in (out / "rejected" / "report.txt").read_text("utf-8")
        assert _mails(out) == [] and not (out / "site").exists()
    assert "already by an earlier command" in printed  # the second time
    doc = json.loads((state / "state.json").read_text(encoding="utf-8"))
    assert doc["buckets"]["DataBucket"]["objects"] >= 4  # incoming, archive, two reports


def test_without_state_each_run_starts_a_fresh_local_aws(cycle, tmp_path):
    root, _, runs = cycle
    out = tmp_path / "out"
    result = run_chain(root / "udtræk A.csv", out=out, progress=_quiet)
    assert result.status == "published", summary(result)
    assert "state" not in result.paths
    assert _mails(out) == _mails(runs["first"].out)  # sent again: nothing remembered
    assert [v["version"] for v in _versions(out)["versions"]] == [result.extract_id[:16]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---------------------------------------------------------------- refused states
def _refused(capsys, state: Path, extract: Path, out: Path) -> str:
    code = main(["run", str(extract), "--state", str(state), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert not out.exists()  # refused before anything was written
    return err


@pytest.fixture
def saved_state(cycle, tmp_path) -> Path:
    root, _, _ = cycle
    copy = tmp_path / "state"
    shutil.copytree(root / "state-after-first", copy)
    return copy


def _snapshot(state: Path) -> Path:
    return state / json.loads((state / "state.json").read_text("utf-8"))["snapshot"]


def _damage_body(state: Path) -> Path:
    target = _snapshot(state) / "s3" / "SiteBucket" / "objects" / "versions.json"
    target.write_text("{}", encoding="utf-8")
    return target


def _remove_index(state: Path) -> Path:
    target = _snapshot(state) / "s3" / "DataBucket" / "index.json"
    target.unlink()
    return target


def _break_table(state: Path) -> Path:
    target = _snapshot(state) / "dynamodb" / "StateTable.jsonl"
    with target.open("a", encoding="utf-8") as handle:
        handle.write('{"Item": {"id": \n')
    return target


def _break_state_json(state: Path) -> Path:
    target = state / "state.json"
    target.write_text(target.read_text("utf-8")[:-20], encoding="utf-8")
    return target


def _remove_snapshot(state: Path) -> Path:
    target = _snapshot(state)
    shutil.rmtree(target)
    return target


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_damage_body, "size or SHA-256 differs"),
        (_remove_index, "cannot be read"),
        (_break_table, "line"),
        (_break_state_json, "not valid JSON"),
        (_remove_snapshot, "missing"),
    ],
)
def test_a_damaged_state_is_refused_naming_the_path(
    damage, says, saved_state, cycle, tmp_path, capsys
):
    root, _, _ = cycle
    path = damage(saved_state)
    damaged = (saved_state / "state.json").read_bytes()
    err = _refused(capsys, saved_state, root / "udtræk A.csv", tmp_path / "out")
    assert str(path) in err and says in err and "damaged" in err
    assert (saved_state / "state.json").read_bytes() == damaged  # not started afresh


def test_a_state_of_another_format_version_is_refused(saved_state, cycle, tmp_path, capsys):
    root, _, _ = cycle
    doc = json.loads((saved_state / "state.json").read_text("utf-8"))
    doc["format_version"] = 99
    (saved_state / "state.json").write_text(json.dumps(doc), encoding="utf-8")
    err = _refused(capsys, saved_state, root / "udtræk A.csv", tmp_path / "out")
    assert str(saved_state / "state.json") in err
    assert "format version 99" in err and "reads version 1" in err


def test_a_directory_that_is_not_a_state_is_refused_and_left_alone(cycle, tmp_path, capsys):
    root, _, _ = cycle
    documents = tmp_path / "dokumenter"
    documents.mkdir()
    (documents / "referat.txt").write_text("møde", encoding="utf-8")
    err = _refused(capsys, documents, root / "udtræk A.csv", tmp_path / "out")
    assert str(documents) in err and "not a local state" in err and "referat.txt" in err
    assert [p.name for p in documents.iterdir()] == ["referat.txt"]  # no lock file either
    a_file = tmp_path / "state.txt"
    a_file.write_text("", encoding="utf-8")
    assert "not a directory" in _refused(capsys, a_file, root / "udtræk A.csv", tmp_path / "o2")


def test_the_state_cannot_be_inside_what_each_command_clears(cycle, tmp_path, capsys):
    root, _, _ = cycle
    out = tmp_path / "out"
    code = main(["run", str(root / "udtræk A.csv"), "--state", str(out / "site" / "st"),
                 "--out", str(out)])  # fmt: skip
    assert code == 1
    assert "each command clears them" in capsys.readouterr().err


# ---------------------------------------------------------------- the state itself
ODD_KEYS = {
    "incoming/": b"",  # a folder marker
    "a": b"file a",
    "a/b": b"a is also a folder",
    "Site/Index.html": b"upper",
    "site/index.html": b"lower: the same path on a case-insensitive disk",
    "x/../y": b"dots",
    "æøå/" + "ø" * 120 + ".txt": b"a name longer than a file system allows",
}


def test_every_key_metadata_and_item_survives_save_and_restore(tmp_path):
    stack = _stack()
    state = tmp_path / "state"
    item = {
        "id": {"S": "notify#x#155"},
        "expiration": {"N": "1893456000"},
        "blob": {"B": b"\x00\xff"},
        "nested": {"M": {"l": {"L": [{"S": "s"}, {"NULL": True}, {"BOOL": False}]}}},
        "set": {"SS": ["a", "b"]},
    }
    with LocalState(state) as local, LocalAws(stack) as aws:
        s3 = aws.client("s3")
        for key, body in ODD_KEYS.items():
            s3.put_object(
                Bucket=aws.data_bucket,
                Key=key,
                Body=body,
                ContentType="text/plain; charset=utf-8",
                CacheControl="no-cache",
                Metadata={"received": "2024-03-15T10:00:00+00:00"},
            )
        table = stack.physical_name("StateTable")
        aws.client("dynamodb").put_item(TableName=table, Item=item)
        with pytest.raises(StateError, match="messages are still queued"):
            local.save(aws)  # S3 announced the folder marker under incoming/
        for queue in [s.queue_url for s in aws.stand_ins] + [aws.s3_observer_url]:
            aws.receive(queue)
        saved = local.save(aws)
    assert saved.objects == len(ODD_KEYS) and saved.items == 1
    files = state_module.file_names(sorted(ODD_KEYS))
    assert files["a/b"] == "objects/a/b" and files["Site/Index.html"] == "objects/Site/Index.html"
    for key in ("incoming/", "a", "site/index.html", "x/../y"):
        assert files[key].startswith("hashed/"), key

    # Restored under the logical ids, into a stack whose bucket names differ.
    renamed = load_stack(REPO, {"SenderAddress": LOCAL_SENDER}, name="omdoebt")
    with LocalState(state) as local:
        snapshot = local.load(renamed)
        assert snapshot is not None
        with LocalAws(renamed, seed=snapshot.restore) as aws:
            assert aws.data_bucket == "omdoebt-databucket"
            s3 = aws.client("s3")
            assert sorted(aws.keys(aws.data_bucket)) == sorted(ODD_KEYS)
            for key, body in ODD_KEYS.items():
                obj = s3.get_object(Bucket=aws.data_bucket, Key=key)
                assert obj["Body"].read() == body
                assert obj["ContentType"] == "text/plain; charset=utf-8"
                assert obj["CacheControl"] == "no-cache"
                assert obj["Metadata"] == {"received": "2024-03-15T10:00:00+00:00"}
            table = renamed.physical_name("StateTable")
            (restored,) = aws.client("dynamodb").scan(TableName=table)["Items"]
            assert restored == item
            # Restoring incoming/ sent no "Object Created" anywhere.
            assert aws.pending() == {}
            assert aws.receive(aws.s3_observer_url) == []


def test_a_save_with_queued_messages_is_refused(tmp_path):
    with LocalState(tmp_path / "state") as local, LocalAws(_stack()) as aws:
        queue = aws.stand_ins[0].queue_url
        aws.client("sqs").send_message(QueueUrl=queue, MessageBody="{}")
        with pytest.raises(StateError, match="messages are still queued"):
            local.save(aws)
    assert not (tmp_path / "state" / "state.json").exists()


def test_an_interrupted_save_leaves_the_previous_state_whole(tmp_path, monkeypatch):
    state = tmp_path / "state"
    stack = _stack()
    with LocalState(state) as local, LocalAws(stack) as aws:
        aws.client("s3").put_object(Bucket=aws.site_bucket, Key="a.html", Body=b"a")
        local.save(aws)
        aws.client("s3").put_object(Bucket=aws.site_bucket, Key="b.html", Body=b"b")

        def interrupted(*_args, **_kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(state_module, "_save_table", interrupted)
        with pytest.raises(KeyboardInterrupt):
            local.save(aws)
    with LocalState(state) as local:
        snapshot = local.load(stack)
    assert snapshot is not None
    assert [o.key for o in snapshot.buckets["SiteBucket"]] == ["a.html"]
    leftovers = [p.name for p in state.iterdir() if p.name.startswith(".incomplete")]
    assert leftovers == []


def test_one_state_serves_one_command_at_a_time(tmp_path):
    with LocalState(tmp_path / "state"), pytest.raises(StateError, match="in use by another"):
        LocalState(tmp_path / "state").__enter__()
