"""Run the real compute_rates handler on given extract bytes in a fresh child process.

A hostile extract (20 million empty rows, a gigabyte of whitespace behind 1 MB of zip) must
be rejected within seconds and well under the function's 2,048 MB; Lambda kills a function
that exceeds its memory, and then there is no report, only retries and the failure queue.
Measuring that needs a process of its own: the test process has pandas, moto and earlier
tests in its high-water mark. `run_compute` starts `python -m tests.integration.memory_ceiling`,
which sets up moto as tests/conftest.py's `aws` fixture does, uploads the bytes to incoming/,
calls functions/compute_rates/app.py's handler with an EventBridge-shaped event and writes
the outcome; the parent watches the child's resident memory and kills it above a ceiling,
so a regression fails the test instead of swapping the machine.

    outcome = run_compute(data, "udtraek.xlsx")
    assert outcome.status == "rejected" and "too_large" in outcome.error_codes
    assert outcome.peak_rss_mib < 1024 and outcome.seconds < 10

Shared by the CSV and the XLSX bounded-cost tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_KILL_ABOVE_MIB = (
    3072.0  # well above Lambda's 2,048 MB: a runaway is stopped, not waited for
)
DEFAULT_TIMEOUT_S = 300.0
_POLL_S = 0.02


@dataclass(frozen=True)
class Outcome:
    """What one run of the handler in a child process came to.

    status: the handler's "published", "rejected", "unchanged" or "ignored"; or "failed"
    (the handler raised: `exception` says what), "killed" (resident memory passed
    kill_above_mib), "timeout" (the child ran longer than timeout), "crashed" (the child
    died without writing its outcome, e.g. a segfault or the OOM killer: see `stderr`).
    """

    status: str
    error_codes: tuple[
        str, ...
    ] = ()  # of the report (rejected/<id>/report.json or validation.json)
    warning_codes: tuple[str, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)  # the report JSON as written, if any
    peak_rss_mib: float = 0.0  # the child's VmHWM after the call (or the highest RSS seen)
    baseline_rss_mib: float = 0.0  # VmHWM just before the call: interpreter, moto, the app
    seconds: float = 0.0  # wall time of the handler call alone
    exception: str | None = None
    stderr: str = ""

    @property
    def handler_rss_mib(self) -> float:
        """How far the call itself raised the high-water mark above the baseline."""
        return max(self.peak_rss_mib - self.baseline_rss_mib, 0.0)

    def messages(self) -> list[str]:
        """The report's error messages, for assertions on wording and for failure output."""
        return [e.get("message", "") for e in self.report.get("errors", [])]


def run_compute(
    data: bytes,
    filename: str = "udtraek.xlsx",
    *,
    env: Mapping[str, str] | None = None,
    kill_above_mib: float | None = DEFAULT_KILL_ABOVE_MIB,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Outcome:
    """Upload `data` as incoming/<filename> and run compute_rates' handler on it in a child.

    env: extra environment for the child (e.g. {"MAX_EXTRACT_BYTES": "1000"}), on top of the
    test environment of tests/conftest.py. kill_above_mib: the child is killed as soon as its
    resident memory passes this (None: never). timeout: seconds before the child is killed.
    """
    with tempfile.TemporaryDirectory(prefix="memory-ceiling-") as tmp:
        work = Path(tmp)
        (work / "extract").write_bytes(data)
        (work / "request.json").write_text(json.dumps({"filename": filename}), "utf-8")
        child_env = {**os.environ, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), str(REPO / "functions"), os.environ.get("PYTHONPATH")) if p
        )
        with open(work / "stderr", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.memory_ceiling", str(work)],
                cwd=REPO,
                env=child_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            status, seen = _watch(proc, kill_above_mib, timeout)
        stderr = (work / "stderr").read_bytes().decode("utf-8", "replace")[-4000:]
        result = work / "outcome.json"
        if status is None and result.exists():
            doc = json.loads(result.read_text("utf-8"))
            return Outcome(
                status=doc["status"],
                error_codes=tuple(doc["error_codes"]),
                warning_codes=tuple(doc["warning_codes"]),
                report=doc["report"],
                peak_rss_mib=doc["peak_rss_mib"],
                baseline_rss_mib=doc["baseline_rss_mib"],
                seconds=doc["seconds"],
                exception=doc["exception"],
                stderr=stderr,
            )
        return Outcome(status=status or "crashed", peak_rss_mib=seen, stderr=stderr)


def _watch(
    proc: subprocess.Popen[bytes], kill_above_mib: float | None, timeout: float
) -> tuple[str | None, float]:
    """Wait for the child; kill it above the memory ceiling or after the timeout."""
    deadline = time.monotonic() + timeout
    seen = 0.0
    while proc.poll() is None:
        rss = _status_mib(f"/proc/{proc.pid}/status", "VmRSS")
        seen = max(seen, rss)
        if kill_above_mib is not None and rss > kill_above_mib:
            proc.kill()
            proc.wait()
            return "killed", seen
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return "timeout", seen
        time.sleep(_POLL_S)
    return None, seen


def _status_mib(path: str, key: str) -> float:
    """A kB line of /proc/<pid>/status in MiB (0 when the process is gone)."""
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


# --- the child ------------------------------------------------------------------------------


def _child(work: Path) -> None:
    """Set up moto like the `aws` fixture, run the handler once, write outcome.json."""
    import boto3
    from moto import mock_aws

    from tests import conftest
    from tests.handlers import lambda_context, load_app

    env = {
        "AWS_DEFAULT_REGION": conftest.REGION,
        "AWS_REGION": conftest.REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "DATA_BUCKET": conftest.DATA_BUCKET,
        "SITE_BUCKET": conftest.SITE_BUCKET,
        "EVENT_BUS_NAME": conftest.BUS,
        "STATE_TABLE": conftest.TABLE,
        "SENDER_ADDRESS": conftest.SENDER,
        "SITE_URL": "https://omgoerelser.example.invalid",
        "POWERTOOLS_SERVICE_NAME": "danmarkskort-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Danmarkskort",
        "POWERTOOLS_DEV": "false",
    }
    for key, value in env.items():
        os.environ.setdefault(key, value)  # the caller's env (run_compute's env=) wins
    request = json.loads((work / "request.json").read_text("utf-8"))
    key = "incoming/" + request["filename"]
    region = conftest.REGION
    with mock_aws():
        s3 = boto3.client("s3", region_name=region)
        for bucket in (conftest.DATA_BUCKET, conftest.SITE_BUCKET):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        boto3.client("events", region_name=region).create_event_bus(Name=conftest.BUS)
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=conftest.TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        data = (work / "extract").read_bytes()
        s3.put_object(Bucket=conftest.DATA_BUCKET, Key=key, Body=data)
        event = _object_created(conftest.DATA_BUCKET, key, len(data))
        del data  # moto holds its own copy, as S3 would; the handler reads it from there
        handler = load_app("compute_rates").handler
        baseline = _status_mib("/proc/self/status", "VmHWM")
        exception = None
        result: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            result = handler(event, lambda_context("compute_rates"))
        except Exception as exc:  # the outcome says so; the test decides whether that is wrong
            exception = f"{type(exc).__name__}: {exc}"[:4000]
        seconds = time.perf_counter() - start
        peak = _status_mib("/proc/self/status", "VmHWM")
        report: dict[str, Any] = {}
        report_key = result.get("keys", {}).get("report_json") or result.get("keys", {}).get(
            "validation"
        )
        if report_key:
            body = s3.get_object(Bucket=conftest.DATA_BUCKET, Key=report_key)["Body"].read()
            report = json.loads(body)
    outcome = {
        "status": "failed" if exception else result.get("status", "?"),
        "error_codes": [e["code"] for e in report.get("errors", [])],
        "warning_codes": [w["code"] for w in report.get("warnings", [])],
        "report": report,
        "peak_rss_mib": peak,
        "baseline_rss_mib": baseline,
        "seconds": seconds,
        "exception": exception,
    }
    (work / "outcome.json").write_text(json.dumps(outcome, ensure_ascii=False), "utf-8")


def _object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """An S3 'Object Created' event as EventBridge delivers it (see test_compute_rates.py)."""
    return {
        "version": "0",
        "id": "5b0e5a8e-0000-4000-8000-000000000000",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2025-03-02T10:15:00Z",
        "region": "eu-north-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": "d41d8cd98f00b204e9800998ecf8427e"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
