"""The whole chain on the local AWS, as `danmarkskort run` and `demo` show it: upload an
extract, let the template's rules and the real handlers do their work, then copy what was
published (results, site, mails, or the rejection report) into an output directory.

Without a state the local AWS is new for each command. With `state=DIR` (`--state DIR`,
local/state.py) it starts from what the previous commands left in DIR and is saved there
again, so the output is "after this command": `site/` the whole site bucket, `results/` or
`rejected/` this extract's, `outbox/` only the mails this command sent (docs/design.md §7).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import shutil
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from danmarkskort.domain.municipalities import NATIONAL_CODE
from danmarkskort.events import (
    SOURCE,
    ConsultationDue,
    ConsultationOpened,
    ExtractRejected,
    MunicipalityNotified,
    RatesComputed,
    SitePublished,
)
from danmarkskort.hoering.round import (
    CURRENT_KEY,
    CurrentRound,
    Round,
    RoundError,
    parse_doc,
    round_key,
)
from danmarkskort.mail.texts import comment_deadline

from danmarkskort_tools.local.aws import LOCAL_SENDER, LocalAws
from danmarkskort_tools.local.dispatcher import Dispatcher, Invocation, Notice
from danmarkskort_tools.local.state import LocalState, Snapshot, StateError
from danmarkskort_tools.local.template import Stack, load_stack

REPO = Path(__file__).resolve().parents[3]
LOCAL_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOCAL_SITE_URL = f"http://{LOCAL_HOST}:{DEFAULT_PORT}"
# OUT/serve.json: the site URL the site's snippets and the mails in OUT were built for, so
# that `danmarkskort serve OUT` serves on that port (and warns when told another).
SERVE_FILE = "serve.json"
OUTPUT_DIRS = ("results", "rejected", "site", "outbox", "preview")
UPLOAD_TRIGGER = "Object Created"  # S3's event: what reaches the function behind the upload
MAILED = ("sent", "dry_run")  # the MunicipalityNotified statuses that wrote an .eml

Progress = Callable[[str], None]


def local_site_url(port: int) -> str:
    """Where `danmarkskort serve --port PORT` shows the site: what links must point at."""
    return f"http://{LOCAL_HOST}:{port}"


class ServeFileError(ValueError):
    """OUT/serve.json exists but does not say a local site URL; the message says why."""


def recorded_site(out: Path) -> tuple[str, int] | None:
    """(site URL, port) that OUT/serve.json records, or None when there is none (an older
    output). ServeFileError when it is there but unreadable or not a local site URL."""
    path = Path(out) / SERVE_FILE
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ServeFileError(f"{path}: cannot be read as JSON ({exc})") from None
    url = doc.get("site_url") if isinstance(doc, dict) else None
    port = doc.get("port") if isinstance(doc, dict) else None
    if type(port) is not int or not 1 <= port <= 65535:
        raise ServeFileError(f"{path}: 'port' must be a whole number 1-65535, not {port!r}")
    if url != local_site_url(port):
        raise ServeFileError(f"{path}: 'site_url' must be {local_site_url(port)}, not {url!r}")
    return url, port


def _record_site(out: Path, site_url: str) -> None:
    port = urllib.parse.urlsplit(site_url).port or DEFAULT_PORT
    doc = {
        "_comment": "Written by danmarkskort run/demo: the site and the mails in this "
        "directory link to site_url; `danmarkskort serve` uses this port.",
        "site_url": site_url,
        "port": port,
    }
    (out / SERVE_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def local_overrides(site_url: str, hoering: bool = False) -> dict[str, str]:
    """The only settings that differ from template.yaml locally: links point at `serve`, and
    SES pacing (SEND_RATE, a deliberate sleep against the account's sending quota) is off;
    `run --hoering` turns the consultation round on for its one command (as the template's
    Consultation parameter does); a round closes without waiting, since no comment request
    can be under way (`serve` holds the state while it runs)."""
    out = {"SITE_URL": site_url, "SEND_RATE": "10000", "COMMENT_SETTLE_SECONDS": "0"}
    if hoering:
        out["HOERING"] = "true"
    return out


class ChainError(RuntimeError):
    """The local chain cannot start (no template, no functions)."""


def find_root(start: Path | None = None) -> Path:
    """The checkout holding template.yaml and functions/ (the package lives in layer/)."""
    candidates = [start] if start else [REPO, Path.cwd(), *Path.cwd().parents]
    for candidate in candidates:
        if candidate and (Path(candidate) / "template.yaml").is_file():
            return Path(candidate)
    raise ChainError(
        "template.yaml was not found: run danmarkskort from a checkout of the repository "
        "(it needs template.yaml and functions/)"
    )


@dataclass
class ChainResult:
    """What happened, where it landed, and how long each step took."""

    status: str  # published | consultation | unchanged | rejected | failed | stopped
    out: Path
    extract_file: str
    extract_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reason: str = ""
    site_url: str = LOCAL_SITE_URL
    # compute's stored result when an earlier command (a --state) had handled this extract
    # already, so that this upload emitted nothing: a re-upload, as in the cloud.
    earlier: dict[str, Any] | None = None

    @property
    def exit_code(self) -> int:
        return {"published": 0, "consultation": 0, "unchanged": 0, "rejected": 2}.get(
            self.status, 1
        )

    def of_type(self, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("detail-type") == detail_type]


class _Clock:
    def __init__(self, progress: Progress) -> None:
        self.started = time.perf_counter()
        self.progress = progress

    def say(self, text: str) -> None:
        self.progress(f"[{time.perf_counter() - self.started:6.2f}s] {text}")


def _describe(inv: Invocation, produced: list[dict[str, Any]]) -> str:
    name = inv.label
    if not inv.ok:
        return (
            f"{inv.trigger} → {name}: FAILED after {inv.attempts} attempt(s) "
            f"({inv.seconds:.2f}s): {inv.error}"
        )
    kinds: dict[str, int] = {}
    for event in produced:
        kind = event.get("detail-type", "?")
        if kind == MunicipalityNotified.DETAIL_TYPE and _is_notify_summary(event):
            kind += " summary"  # the closing summary is not a 99th municipality
        kinds[kind] = kinds.get(kind, 0) + 1
    emitted = ", ".join(f"{n} × {k}" if n > 1 else k for k, n in kinds.items()) or "nothing"
    return f"{inv.trigger} → {name} ({inv.seconds:.2f}s) → {emitted}"


def _clear(out: Path) -> None:
    """Remove the previous run's output so nothing stale is mistaken for this run's."""
    for name in OUTPUT_DIRS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
    (out / SERVE_FILE).unlink(missing_ok=True)


def run_chain(
    extract: Path,
    *,
    out: Path,
    config: Path | None = None,
    progress: Progress = print,
    stack: Stack | None = None,
    parameters: dict[str, str] | None = None,
    site_url: str = LOCAL_SITE_URL,
    key: str | None = None,
    state: Path | None = None,
    hoering: bool = False,
) -> ChainResult:
    """Upload `extract` to incoming/ and follow the chain to its end: on a fresh local AWS,
    or with `state`, on the one DIR holds (saved there again afterwards; StateError when DIR
    cannot be used, raised before anything is written). `hoering`: open a consultation
    round instead of publishing (invitations, a private preview; `publish_chain` ends it)."""
    extract = Path(extract)
    return _chain(
        extract.read_bytes(),
        extract.name,
        out=out,
        config=config,
        progress=progress,
        stack=stack,
        parameters=parameters,
        site_url=site_url,
        key=key,
        state=state,
        overrides=local_overrides(site_url, hoering=hoering),
    )


def publish_chain(
    *,
    out: Path,
    state: Path,
    progress: Progress = print,
    stack: Stack | None = None,
    site_url: str = LOCAL_SITE_URL,
) -> ChainResult:
    """End the consultation round of `state` now and publish it with its comments, as the
    ministry does in the cloud by putting ConsultationDue on the bus (or as the round's
    schedule does at the deadline): render_site publishes, notify sends the final mails."""
    return _chain(
        None,
        "",
        out=out,
        config=None,
        progress=progress,
        stack=stack,
        parameters=None,
        site_url=site_url,
        key=None,
        state=state,
        overrides=local_overrides(site_url),
    )


def _chain(
    body: bytes | None,
    extract_file: str,
    *,
    out: Path,
    config: Path | None,
    progress: Progress,
    stack: Stack | None,
    parameters: dict[str, str] | None,
    site_url: str,
    key: str | None,
    state: Path | None,
    overrides: dict[str, str],
) -> ChainResult:
    clock = _Clock(progress)
    timings: dict[str, float] = {}
    if stack is None:
        root = find_root()
        stack = load_stack(root, {"SenderAddress": LOCAL_SENDER, **(parameters or {})})
    out = Path(out)
    with contextlib.ExitStack() as held:
        local_state: LocalState | None = None
        snapshot: Snapshot | None = None
        if state is not None:
            _check_apart(Path(state), out)
            local_state = held.enter_context(LocalState(Path(state)))
            snapshot = local_state.load(stack)  # a damaged state is refused here, first
        result = _run(
            body,
            extract_file,
            stack,
            out,
            config=config,
            clock=clock,
            timings=timings,
            site_url=site_url,
            key=key,
            local_state=local_state,
            snapshot=snapshot,
            overrides=overrides,
        )
    timings["total"] = time.perf_counter() - clock.started
    result.timings = timings
    return result


class NoOpenRound(StateError):
    """`publish` was asked to end a round, but the state has none open."""


def open_round(aws: LocalAws) -> CurrentRound:
    """The round the data bucket names as open (or being published: a retry finishes it)."""
    raw = aws.keys(aws.data_bucket, CURRENT_KEY) and aws.get(aws.data_bucket, CURRENT_KEY)
    if not raw:
        raise NoOpenRound(
            "no consultation round was ever opened in this state (start one with "
            "`danmarkskort run EXTRACT --hoering --state DIR`)"
        )
    try:
        current = parse_doc(raw, CurrentRound, CURRENT_KEY)
    except RoundError as exc:
        raise StateError(f"the state's round is damaged: {exc}") from exc
    if current.status == "published":
        raise NoOpenRound(
            f"the consultation round {current.round_id} is published already; a new round "
            "starts with `danmarkskort run EXTRACT --hoering --state DIR`"
        )
    return current


def _check_apart(state: Path, out: Path) -> None:
    """The state must not be the output directory, nor inside what each command clears."""
    state, out = state.resolve(), out.resolve()
    if state == out or any(state.is_relative_to(out / name) for name in OUTPUT_DIRS):
        raise StateError(
            f"{state}: the state cannot be the output directory {out} or inside its "
            f"{', '.join(OUTPUT_DIRS)} (each command clears them); give another --state"
        )


def _run(
    body: bytes | None,
    extract_file: str,
    stack: Stack,
    out: Path,
    *,
    config: Path | None,
    clock: _Clock,
    timings: dict[str, float],
    site_url: str,
    key: str | None,
    local_state: LocalState | None,
    snapshot: Snapshot | None,
    overrides: dict[str, str],
) -> ChainResult:
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    log_path = out / "logs" / "chain.log"
    result = ChainResult(status="stopped", out=out, extract_file=extract_file, site_url=site_url)
    result.paths["log"] = log_path

    t = time.perf_counter()
    seed = snapshot.restore if snapshot is not None else None
    with log_path.open("w", encoding="utf-8") as log, LocalAws(stack, seed=seed) as aws:
        rules = stack.rules()
        clock.say(
            f"local AWS from template.yaml: buckets {aws.data_bucket}, {aws.site_bucket}; "
            f"bus {aws.bus}; {len(rules)} rules with SQS stand-in targets"
        )
        if local_state is not None:
            clock.say(
                f"local state {local_state.directory}: "
                + (
                    f"restored {snapshot.objects} objects and {snapshot.items} table items"
                    if snapshot is not None
                    else "new (nothing to restore)"
                )
            )
        timings["setup"] = time.perf_counter() - t
        observed: list[dict[str, Any]] = []

        def on_invocation(inv: Invocation) -> None:
            produced = aws.receive(aws.observer_url)
            observed.extend(produced)
            clock.say(_describe(inv, produced))

        dispatcher = Dispatcher(aws, log=log, overrides=overrides, on_invocation=on_invocation)
        if config is not None:
            keys = aws.upload_config(Path(config))
            clock.say(f"config from {config}: {', '.join(keys) or 'no files'}")
            # As in the cloud, a file under config/ re-renders what is published (with a
            # state that has a site); handled before the upload, so the order is fixed.
            dispatcher.run()
        t = time.perf_counter()
        # `publish` is refused before anything of OUT is touched when there is no round.
        current = open_round(aws) if body is None else None
        _clear(out)
        if body is None and current is not None:
            # `publish`: what the ministry puts on the bus to end the round now.
            upload_key = ""
            with contextlib.suppress(RoundError, ValueError):
                opened = parse_doc(
                    aws.get(aws.data_bucket, round_key(current.round_id)),
                    Round,
                    round_key(current.round_id),
                )
                result.extract_file = opened.extract_file
            aws.client("events").put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": ConsultationDue.DETAIL_TYPE,
                        "Detail": json.dumps(
                            ConsultationDue(
                                round_id=current.round_id, requested_by="danmarkskort publish"
                            ).to_detail()
                        ),
                        "EventBusName": aws.bus,
                    }
                ]
            )
            clock.say(f"put ConsultationDue for round {current.round_id} on bus {aws.bus}")
        elif body is not None:
            upload_key = key or f"incoming/{extract_file}"
            aws.upload(upload_key, body)
            clock.say(f"uploaded s3://{aws.data_bucket}/{upload_key} ({len(body) / 1024:,.0f} KiB)")
        timings["upload"] = time.perf_counter() - t
        t = time.perf_counter()
        dispatcher.run()
        timings["chain"] = time.perf_counter() - t
        for inv in dispatcher.invocations:
            timings[inv.function] = timings.get(inv.function, 0.0) + inv.seconds
        observed.extend(aws.receive(aws.observer_url))
        s3_events = aws.receive(aws.s3_observer_url)
        result.events = observed
        result.invocations = dispatcher.invocations
        result.notices = dispatcher.notices
        if local_state is not None:
            # Whatever happened (published, rejected, failed): what the functions wrote is
            # state, as it would be in the cloud.
            t = time.perf_counter()
            saved = local_state.save(aws)
            timings["state"] = time.perf_counter() - t
            result.paths["state"] = local_state.directory
            result.counts["state_objects"] = saved.objects
            result.counts["state_items"] = saved.items
            clock.say(
                f"saved the local state in {local_state.directory}: {saved.objects} objects, "
                f"{saved.items} table items"
            )
        result.extract_id = _extract_id(result)
        result.earlier = _earlier(result)
        t = time.perf_counter()
        _export(aws, result)
        timings["export"] = time.perf_counter() - t
        _conclude(result, s3_events, upload_key, in_site=_in_site(aws, result.extract_id))
    return result


def _extract_id(result: ChainResult) -> str:
    """The id compute announced, or (when it announced nothing new) the one it returned."""
    for event in result.events:
        if event.get("detail-type") in (
            RatesComputed.DETAIL_TYPE,
            ExtractRejected.DETAIL_TYPE,
            SitePublished.DETAIL_TYPE,
        ):
            return str(event["detail"]["extract_id"])
    for inv in result.invocations:
        if inv.trigger == UPLOAD_TRIGGER and isinstance(inv.result, dict):
            ident = inv.result.get("extract_id")
            if isinstance(ident, str) and ident:
                return ident
    return ""


def _earlier(result: ChainResult) -> dict[str, Any] | None:
    """compute's result when it came from its idempotency record: the upload was handled
    without announcing anything, because an earlier command had handled the same bytes."""
    if result.of_type(RatesComputed.DETAIL_TYPE) or result.of_type(ExtractRejected.DETAIL_TYPE):
        return None
    for inv in result.invocations:
        if (
            inv.ok
            and inv.trigger == UPLOAD_TRIGGER
            and isinstance(inv.result, dict)
            and inv.result.get("status") in ("published", "rejected")
        ):
            return inv.result
    return None


def _in_site(aws: LocalAws, extract_id: str) -> bool:
    """Whether versions.json of the site bucket lists a version of this extract (its version
    is the id's first 16 hex characters, docs/design.md §1)."""
    if not extract_id or not aws.keys(aws.site_bucket, "versions.json"):
        return False
    try:
        doc = json.loads(aws.get(aws.site_bucket, "versions.json"))
        return any(
            v.get("extract_id") == extract_id or v.get("version") == extract_id[:16]
            for v in doc.get("versions", [])
        )
    except (ValueError, AttributeError):
        return False


def _export(aws: LocalAws, result: ChainResult) -> None:
    """results/ and rejected/ of this command's extract, the whole site, this command's mails."""
    out = result.out
    ident = result.extract_id
    data = aws.data_bucket
    # figures.json is written last: its presence means the results are complete (accepted).
    if ident and aws.keys(data, f"results/{ident}/figures.json"):
        prefix = f"results/{ident}/"
        target = out / "results"
        aws.download(data, prefix, target, strip=prefix)
        result.paths["results"] = target
        csv_path = target / "figures.csv"
        if csv_path.is_file():
            lines = csv_path.read_text(encoding="utf-8").splitlines()
            result.counts["figures"] = max(0, len(lines) - 1)
    if ident and aws.keys(data, f"rejected/{ident}/"):
        prefix = f"rejected/{ident}/"
        target = out / "rejected"
        aws.download(data, prefix, target, strip=prefix)
        result.paths["rejected"] = target
    site_keys = aws.keys(aws.site_bucket)
    if site_keys:
        target = out / "site"
        aws.download(aws.site_bucket, "", target)
        result.paths["site"] = target
        result.counts["site_files"] = len(site_keys)
        result.counts["pages"] = sum(1 for k in site_keys if k.endswith(".html"))
        _record_site(out, result.site_url)
    for opened in result.of_type(ConsultationOpened.DETAIL_TYPE):
        prefix = str(opened["detail"]["preview_prefix"])
        target = out / "preview"
        aws.download(data, prefix, target, strip=prefix)
        result.paths["preview"] = target
        _record_site(out, result.site_url)
    target = out / "outbox"
    target.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    for kommunekode, key in _mails_sent(result):
        name = _outbox_name(kommunekode, key, names)
        names.add(name)
        (target / name).write_bytes(aws.get(data, key))
    if names:
        result.paths["outbox"] = target
    result.counts["mails"] = len(names)


def _mails_sent(result: ChainResult) -> list[tuple[str, str]]:
    """(kommunekode, eml_key) of each mail this command sent or dry-ran, as its
    MunicipalityNotified events say; not whatever else notifications/ holds."""
    seen: dict[str, str] = {}
    for event in result.of_type(MunicipalityNotified.DETAIL_TYPE):
        detail = event.get("detail", {})
        key = detail.get("eml_key")
        if _is_notify_summary(event) or detail.get("status") not in MAILED or not key:
            continue
        seen.setdefault(str(key), str(detail.get("kommunekode")))
    return [(kommunekode, key) for key, kommunekode in seen.items()]


def _outbox_name(kommunekode: str, key: str, taken: set[str]) -> str:
    """`<kommunekode>.eml` or `<kommunekode>-<anything>.eml` (docs/design.md §7)."""
    base = key.rsplit("/", 1)[-1]
    if base == f"{kommunekode}.eml" or (
        base.startswith(f"{kommunekode}-") and base.endswith(".eml")
    ):
        name = base
    else:
        name = f"{kommunekode}-{base.removesuffix('.eml')}.eml"
    if name in taken:
        name = f"{kommunekode}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}.eml"
    return name


def _report_lines(path: Path, severity: str) -> list[str]:
    if not path.is_file():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    return [
        f"{item.get('title', item.get('code'))}: {item.get('count')}"
        for item in report.get("summary", [])
        if item.get("severity") == severity
    ]


def _conclude(
    result: ChainResult, s3_events: list[dict[str, Any]], key: str, *, in_site: bool = False
) -> None:
    failed = [inv for inv in result.invocations if not inv.ok]
    result.counts["events"] = len(result.events)
    result.counts["notified"] = sum(
        1 for e in result.of_type(MunicipalityNotified.DETAIL_TYPE) if not _is_notify_summary(e)
    )
    if result.paths.get("results"):
        result.warnings = _report_lines(result.paths["results"] / "validation.json", "advarsel")
    if result.paths.get("rejected"):
        result.problems = _report_lines(result.paths["rejected"] / "report.json", "fejl")
    if failed:
        result.status = "failed"
        result.reason = "; ".join(f"{inv.function}: {inv.error}" for inv in failed)
    elif result.of_type(ExtractRejected.DETAIL_TYPE):
        result.status = "rejected"
    elif result.of_type(SitePublished.DETAIL_TYPE) and _notify_done(result):
        result.status = "published"
    elif result.of_type(ConsultationOpened.DETAIL_TYPE) and _notify_done(result):
        result.status = "consultation"
    elif any(_unchanged(inv) for inv in result.invocations):
        # render_site found the figures equal to what is published (or older than it).
        result.status = "unchanged"
    elif result.earlier is not None and result.earlier.get("status") == "rejected":
        result.status = "rejected"
    elif result.earlier is not None and in_site:
        result.status = "unchanged"
    elif result.earlier is not None:
        result.reason = (
            "compute_rates had handled this extract in an earlier command (its idempotency "
            "record is in the state) and announced nothing new, but the site has no version "
            "of it: that command failed or stopped after compute. In the cloud the failed "
            "event would be replayed from the failure queue; locally, run it with a new --state"
        )
    elif not result.invocations:
        seen = [e for e in s3_events if e.get("detail", {}).get("object", {}).get("key") == key]
        result.reason = (
            "S3 emitted 'Object Created' for the upload, but no rule of template.yaml matched it"
            if seen
            else "S3 emitted no event for the upload (is EventBridge enabled on the data bucket?)"
        )
    else:
        last = result.invocations[-1]
        result.reason = (
            f"the chain stopped after {last.function} ({last.trigger}): no rule of "
            "template.yaml routed what it emitted"
        )


def figure_lines(result: ChainResult, of: str = "") -> list[str]:
    """The figures, warnings and site of a run as the summaries print them (`of`: e.g.
    ' of the last extract')."""
    lines = []
    if "figures" in result.counts:
        lines.append(
            f"Figures: {result.counts['figures']} records{of} (year × area × municipality, "
            "plus the whole country)"
        )
    if result.warnings:
        kinds = "kind" if len(result.warnings) == 1 else "kinds"
        lines.append(f"Warnings{of} ({len(result.warnings)} {kinds}):")
        lines += [f"  - {w}" for w in result.warnings]
    if "pages" in result.counts:
        lines.append(f"Site: {result.counts['pages']} pages, {result.counts['site_files']} files")
    return lines


def legal_text_warnings(result: ChainResult) -> list[str]:
    """notify's warning that the mails leave out the § 79 b, stk. 2 text (mail.json decides
    it by publication year): a change of law must be confirmed, never pass unnoticed."""
    out: list[str] = []
    for event in result.of_type(MunicipalityNotified.DETAIL_TYPE):
        legal = (event.get("detail", {}).get("summary") or {}).get("legal_text") or {}
        warning = legal.get("warning") if _is_notify_summary(event) else None
        if warning and warning not in out:
            out.append(str(warning))
    return out


def _unchanged(invocation: Invocation) -> bool:
    outcome = invocation.result
    return isinstance(outcome, dict) and outcome.get("status") == "unchanged"


def _is_notify_summary(event: dict[str, Any]) -> bool:
    return event.get("detail", {}).get("kommunekode") == NATIONAL_CODE


def _notify_done(result: ChainResult) -> bool:
    return any(_is_notify_summary(e) for e in result.of_type(MunicipalityNotified.DETAIL_TYPE))


def summary(result: ChainResult, serve_command: str = "danmarkskort serve") -> str:
    """The closing lines: what happened and which paths to open (`serve_command`: how to
    start `serve` from where the user is)."""
    lines = ["", f"Extract: {result.extract_file}"]
    if result.extract_id:
        lines.append(f"Extract id: {result.extract_id}")
    years = sorted(
        {y for e in result.of_type(RatesComputed.DETAIL_TYPE) for y in e["detail"]["years"]}
        | set((result.earlier or {}).get("years") or [])
    )
    published = result.of_type(SitePublished.DETAIL_TYPE)
    years = years or sorted({y for e in published for y in e["detail"]["years"]})
    opened = result.of_type(ConsultationOpened.DETAIL_TYPE)
    if result.status == "published":
        lines.append(f"Published: years {', '.join(map(str, years))}")
        lines += round_lines(result)
    elif result.status == "consultation" and opened:
        detail = opened[-1]["detail"]
        lines.append(
            f"Consultation round {detail['round_id']} opened: nothing is published yet. Each "
            f"municipality got an invitation with its personal comment link; comments are "
            f"taken until {comment_deadline(datetime.fromisoformat(detail['frist']))}."
        )
        if detail.get("superseded"):
            lines.append(
                f"It replaces round {detail['superseded']}, which was still open; its "
                "comments were carried over."
            )
    elif result.status == "unchanged" and result.earlier is None:
        lines.append(
            f"Unchanged: the figures of years {', '.join(map(str, years))} equal what is "
            "published (or are older than it); nothing new was published and no mail was sent"
        )
    elif result.status == "unchanged":
        lines.append(
            f"Unchanged: published already by an earlier command with this state (years "
            f"{', '.join(map(str, years))}); as for a re-upload in the cloud, nothing new was "
            "published and no mail was sent"
        )
    elif result.status == "rejected":
        problems = sum(
            e["detail"].get("problems", 0) for e in result.of_type(ExtractRejected.DETAIL_TYPE)
        ) or int((result.earlier or {}).get("problems") or 0)
        again = " (already by an earlier command with this state)" if result.earlier else ""
        lines.append(f"REJECTED{again}: {problems} problem(s); nothing was published")
        lines += [f"  - {p}" for p in result.problems]
        saved = result.paths.get("rejected")
        where = f"below and in {saved / 'report.txt'}" if saved else "below"
        lines.append(
            f"What to do: correct the rows named in the report ({where}), check the corrected "
            "file with `danmarkskort validate <file>` until it says «godkendt», and run again."
        )
    elif result.status == "failed":
        lines.append(f"FAILED: {result.reason}")
    else:
        lines.append(f"STOPPED: {result.reason}")
    lines += figure_lines(result)
    counts = result.counts
    if counts.get("mails") or counts.get("notified"):
        lines.append(
            f"Mails: {counts.get('mails', 0)} written, "
            f"{counts.get('notified', 0)} municipalities notified"
        )
    lines += legal_text_warnings(result)
    if "state" in result.paths:
        lines.append(
            f"State: saved in {result.paths['state']} ({counts.get('state_objects', 0)} "
            f"objects, {counts.get('state_items', 0)} table items)"
        )
    for notice in result.notices:
        lines.append(
            f"Notice on {notice.target} (rule {notice.rule}): {notice.event.get('detail-type')}"
        )
    lines.append("")
    labels = {
        "results": "figures",
        "rejected": "rejection report",
        "site": "site",
        "outbox": "mails",
        "preview": "preview of the site (not published)",
        "log": "function logs",
        "state": "local state",
    }
    for name, label in labels.items():
        if name in result.paths:
            path = result.paths[name]
            if name == "site" and (path / "index.html").is_file():
                path = path / "index.html"
            lines.append(f"  {label:<40} {path}")
    if "site" in result.paths or "preview" in result.paths:
        lines.append(browse_line(serve_command, result.out, result.site_url))
    if result.status == "consultation" and "state" in result.paths:
        state = shlex.quote(str(result.paths["state"]))
        out = shlex.quote(str(result.out))
        lines.append(
            f"Comment as a municipality: {serve_command} {out} --state {state}, then open "
            f"the link in {result.out / 'outbox'}/<kommunekode>.eml; the preview is at "
            f"{result.site_url}{PREVIEW_PATH}"
        )
        lines.append(
            f"Publish now (before the deadline): danmarkskort publish --state {state} --out {out}"
        )
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
    lines.append(f"Timings: {timing}")
    return "\n".join(lines)


PREVIEW_PATH = "/forhaandsvisning/"


def round_lines(result: ChainResult) -> list[str]:
    """What a round's publication says: how many comments went onto the maps."""
    for inv in result.invocations:
        outcome = inv.result
        if isinstance(outcome, dict) and outcome.get("round_id") and "comments" in outcome:
            n = outcome["comments"]
            return [
                f"Consultation round {outcome['round_id']} ended: {n} comment"
                f"{'' if n == 1 else 's'} (municipality × area) published with the figures"
            ]
    return []


def browse_line(serve_command: str, out: Path, site_url: str) -> str:
    """'Browse the site: <command> OUT  →  URL/ (…)': the command as the user can paste it."""
    return (
        f"Browse the site: {serve_command} {shlex.quote(str(out))}  →  {site_url}/ "
        "(the mails link there too)"
    )
