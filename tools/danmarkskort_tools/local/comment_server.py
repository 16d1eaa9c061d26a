"""The comment pages on this machine: `danmarkskort serve OUT --state DIR` answers
/kommentar/... through the cloud's own handler (functions/comment_page), with the state of
DIR as its data, so the link in out/outbox/<kommunekode>.eml opens locally as it would in
the cloud.

While `serve` runs it holds DIR (its lock: `publish` is refused until `serve` stops), keeps the
local AWS restored from DIR in memory, and saves DIR after every comment written, so no
comment is lost when `serve` stops (or is stopped). Requests reach the handler one at a
time: the local AWS (moto) and the environment it runs in are shared.
"""

from __future__ import annotations

import contextlib
import io
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from danmarkskort_tools.local.aws import LOCAL_SENDER, LocalAws
from danmarkskort_tools.local.chain import find_root, local_overrides
from danmarkskort_tools.local.dispatcher import Dispatcher
from danmarkskort_tools.local.function_url import HttpResponse, request_event, response_from
from danmarkskort_tools.local.state import LocalState, StateError
from danmarkskort_tools.local.template import load_stack

FUNCTION = "CommentPageFunction"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CommentServer:
    """The comment function of a local state, callable per HTTP request."""

    def __init__(self, state: Path, site_url: str) -> None:
        self.state_dir = Path(state)
        self.site_url = site_url
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        self.saves = 0

    def __enter__(self) -> CommentServer:
        stack = load_stack(find_root(), {"SenderAddress": LOCAL_SENDER})
        if not (self.state_dir / "state.json").is_file():
            raise StateError(
                f"{self.state_dir}: holds no local state yet; start a round with "
                f"`danmarkskort run EXTRACT --hoering --state {self.state_dir}`"
            )
        try:
            self.local_state = self._stack.enter_context(LocalState(self.state_dir))
            snapshot = self.local_state.load(stack)
            self.aws = self._stack.enter_context(
                LocalAws(stack, seed=snapshot.restore if snapshot is not None else None)
            )
            self.log = self._stack.enter_context(
                (self.state_dir / "serve.log").open("a", encoding="utf-8")
            )
        except BaseException:
            self._stack.close()
            raise
        self.dispatcher = Dispatcher(
            self.aws, log=self.log or io.StringIO(), overrides=local_overrides(self.site_url)
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def handle(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        """One request through the handler; after a write that succeeded, DIR is saved."""
        event = request_event(
            method, path, query=query, headers=headers, body=body, source_ip=source_ip
        )
        with self._lock:
            try:
                result: Any = self.dispatcher.call(FUNCTION, event)
                response = response_from(result)
            except Exception as exc:  # as a function URL answers an unhandled error
                print(f"--- {FUNCTION} failed: {type(exc).__name__}: {exc}", file=self.log)
                self.log.flush()
                return HttpResponse(
                    502,
                    {"Content-Type": "text/plain; charset=utf-8"},
                    body=b"Internal Server Error",
                )
            if method.upper() in WRITES and response.status < 400:
                # What the comment's objects made S3 announce (no rule routes hoering/):
                # delivered if any rule wanted it, then the local listeners emptied.
                self.dispatcher.run()
                self.aws.receive(self.aws.observer_url)
                self.aws.receive(self.aws.s3_observer_url)
                try:
                    self.local_state.save(self.aws)
                except StateError as exc:
                    print(f"--- the state was not saved: {exc}", file=self.log)
                    self.log.flush()
                    return HttpResponse(
                        500,
                        {"Content-Type": "text/plain; charset=utf-8"},
                        body=(
                            "Kommentaren kunne ikke gemmes i den lokale tilstand "
                            f"({exc}). Prøv igen.\n"
                        ).encode(),
                    )
                self.saves += 1
        return response
