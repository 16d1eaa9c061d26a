"""`danmarkskort serve` as a user starts it, for the end-to-end and browser tests: a
subprocess that is ready once it listens, stopped as Ctrl-C stops it (so a `--state` it
holds is let go of)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def start_serve(
    out: Path, port: int, *, state: Path | None = None, timeout: float = 120
) -> subprocess.Popen[bytes]:
    """serve OUT on 127.0.0.1:PORT (with --state: it restores the state first, then
    listens); fails the test, with serve's own words, if it ends or never listens."""
    args = [sys.executable, "-m", "danmarkskort_tools.cli", "serve", str(out)]
    args += ["--port", str(port), *(["--state", str(state)] if state else [])]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read() if proc.stderr else b""
                pytest.fail(f"serve ended ({proc.returncode}): {err.decode()}")
            if time.monotonic() > deadline:
                stop_serve(proc)
                pytest.fail(f"serve did not listen within {timeout:.0f} s")
            time.sleep(0.2)


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)  # as Ctrl-C: serve lets go of the state
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()


@contextmanager
def serving(
    out: Path, port: int, *, state: Path | None = None, timeout: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_serve(out, port, state=state, timeout=timeout)
    try:
        yield proc
    finally:
        stop_serve(proc)
