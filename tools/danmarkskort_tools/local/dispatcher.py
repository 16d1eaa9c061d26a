"""Lambda, as far as the local chain needs it: take what the rules delivered to the stand-in
queues and invoke the real handlers (functions/<name>/app.py) with it, asynchronously in
spirit: an error is retried as often as the template's EventInvokeConfig allows, then the
event counts as failed (in AWS it would land in the function's on-failure queue).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from danmarkskort_tools.local.aws import LocalAws, StandIn, environment
from danmarkskort_tools.local.template import FunctionSpec

_counter = itertools.count()

# Locally there is no X-Ray daemon; the rest of the environment comes from template.yaml.
LOCAL_ENV = {"POWERTOOLS_TRACE_DISABLED": "true"}


class _LogSink(io.TextIOBase):
    """stdout of the handlers, forwarded to the current run's log file.

    Powertools loggers are process-wide (logging.getLogger(service)) and keep the stream they
    were first given; a stable sink whose target changes per run keeps a second run in the
    same process (tests, benchmarks) from writing into the first run's closed file.
    """

    target: TextIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.target is not None and not self.target.closed:
            self.target.write(text)
        return len(text)

    def flush(self) -> None:
        if self.target is not None and not self.target.closed:
            self.target.flush()


LOG_SINK = _LogSink()


@dataclass
class LocalContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self.started)) * 1000))


@dataclass
class Invocation:
    """One delivery of one event to one function (after its retries)."""

    function: str
    label: str
    rule: str
    trigger: str
    seconds: float
    attempts: int
    error: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Notice:
    """An event a rule delivered to a non-function target (e.g. the alarm topic)."""

    rule: str
    target: str
    event: dict[str, Any]


class Dispatcher:
    """Drains the stand-in queues into the handlers until nothing is left to do."""

    def __init__(
        self,
        aws: LocalAws,
        *,
        log: TextIO,
        overrides: dict[str, str] | None = None,
        on_invocation: Callable[[Invocation], None] | None = None,
    ) -> None:
        self.aws = aws
        self.log = log
        LOG_SINK.target = log
        self.overrides = dict(overrides or {})
        self.on_invocation = on_invocation or (lambda _inv: None)
        self.functions: dict[str, FunctionSpec] = aws.stack.functions()
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.invocations: list[Invocation] = []
        self.notices: list[Notice] = []

    def env(self, spec: FunctionSpec) -> dict[str, str]:
        return {**spec.environment, **LOCAL_ENV, **self.overrides}

    def handler(self, logical_id: str) -> Callable[..., Any]:
        """Import functions/<name>/<module>.py under a fresh name, inside its environment."""
        if logical_id in self.handlers:
            return self.handlers[logical_id]
        spec = self.functions[logical_id]
        path = spec.code_dir / f"{spec.module.replace('.', '/')}.py"
        if not path.is_file():
            raise FileNotFoundError(
                f"{logical_id}: template.yaml points at {path}, which does not exist"
            )
        name = f"danmarkskort_local_{spec.code_dir.name}_{next(_counter)}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:  # a .py file always has one
            raise RuntimeError(f"{logical_id}: importlib found no loader for {path}")
        module: ModuleType = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, str(spec.code_dir))
        try:
            with (
                environment(self.env(spec)),
                self.aws.acting_as(logical_id),
                contextlib.redirect_stdout(LOG_SINK),
                contextlib.redirect_stderr(LOG_SINK),
            ):
                sys.modules[name] = module
                module_spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(spec.code_dir))
        fn = getattr(module, spec.attribute, None)
        if not callable(fn):
            raise AttributeError(f"{path} has no callable {spec.attribute}")
        self.handlers[logical_id] = fn
        return fn

    def call(self, logical_id: str, event: dict[str, Any]) -> Any:
        """One synchronous invocation, as a function URL makes it: in the function's
        environment and identity, no retries; an exception is the caller's."""
        spec = self.functions[logical_id]
        context = LocalContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory,
            timeout=spec.timeout,
            invoked_function_arn=self.aws.stack.arn(spec.logical_id),
            log_group_name=f"/aws/lambda/{spec.name}",
        )
        fn = self.handler(spec.logical_id)
        with (
            environment(self.env(spec)),
            self.aws.acting_as(spec.logical_id),
            contextlib.redirect_stdout(LOG_SINK),
            contextlib.redirect_stderr(LOG_SINK),
        ):
            return fn(event, context)

    def invoke(self, stand_in: StandIn, event: dict[str, Any]) -> Invocation:
        spec = self.functions[stand_in.target]
        trigger = str(event.get("detail-type", "?"))
        started = time.perf_counter()
        attempts = 0
        error = None
        result = None
        for attempt in range(spec.max_retries + 1):
            attempts = attempt + 1
            try:
                result = self.call(spec.logical_id, event)
                error = None
                break
            except Exception as exc:  # a failed invocation is data here, as in Lambda
                error = f"{type(exc).__name__}: {exc}"
                print(f"--- {spec.logical_id} attempt {attempts} failed", file=self.log)
                traceback.print_exc(file=self.log)
        invocation = Invocation(
            function=spec.logical_id,
            label=spec.code_dir.name,
            rule=stand_in.rule.logical_id,
            trigger=trigger,
            seconds=time.perf_counter() - started,
            attempts=attempts,
            error=error,
            result=result,
        )
        self.invocations.append(invocation)
        self.on_invocation(invocation)
        return invocation

    def run(self) -> list[Invocation]:
        """Deliver until every stand-in queue is empty (events may cause further events)."""
        start = len(self.invocations)
        while True:
            delivered = 0
            for stand_in in self.aws.stand_ins:
                for event in self.aws.receive(stand_in.queue_url):
                    delivered += 1
                    if stand_in.target_kind == "function":
                        self.invoke(stand_in, event)
                    else:
                        self.notices.append(
                            Notice(stand_in.rule.logical_id, stand_in.target, event)
                        )
            if not delivered:
                return self.invocations[start:]
