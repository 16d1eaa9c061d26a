"""A new user's first five minutes, through the installed console script as a shell runs it:
`danmarkskort demo` ends with a command to browse the site, and that command, pasted into
the same directory without the virtualenv activated, serves the site the mails link to.
And `serve` on a port it cannot have says so in one line, never with a traceback."""

from __future__ import annotations

import errno
import http.server
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from danmarkskort_tools.cli import main

from tests.invitations import free_port

SCRIPT = Path(sys.executable).parent / "danmarkskort"


def without_venv_on_path() -> dict[str, str]:
    """The environment of a shell in a fresh clone: the virtualenv is not activated."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != SCRIPT.parent
    )
    return env


def get(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.status, resp.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.1)


@pytest.mark.skipif(not SCRIPT.is_file(), reason="the console script is not installed")
def test_the_command_the_demo_prints_serves_the_site(tmp_path):
    port = free_port()
    env = without_venv_on_path()
    demo = subprocess.run(
        [
            str(SCRIPT),
            "demo",
            "--out",
            "out",
            "--years",
            "2024",
            "--cases",
            "1000",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    [line] = [x for x in demo.stdout.splitlines() if x.startswith("Browse the site: ")]
    command, _, url = line.removeprefix("Browse the site: ").partition("  →  ")
    assert url.startswith(f"http://127.0.0.1:{port}/")
    assert command.endswith(" serve out") and command != "danmarkskort serve out"
    # The mails link to the port the demo was given, and OUT records it for `serve`.
    mail = (tmp_path / "out" / "outbox" / "155.eml").read_text(encoding="ascii")
    assert f"http://127.0.0.1:{port}/" in mail.replace("=\n", "")
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        status, front = get(f"http://127.0.0.1:{port}/", proc)
        assert status == 200 and "<html" in front and "omgørelsesprocent" in front.lower()
        [page] = sorted(re.findall(r'href="([^"]*kommune/155-dragoer\.html)"', front))[:1]
        status, dragoer = get(f"http://127.0.0.1:{port}/{page.lstrip('/')}", proc)
        assert status == 200 and "Dragør Kommune" in dragoer
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert b"warning" not in err  # served on the recorded port: no mismatch to warn about


@pytest.fixture
def site(tmp_path) -> Path:
    out = tmp_path / "out"
    (out / "site").mkdir(parents=True)
    (out / "site" / "index.html").write_text("<html></html>", encoding="utf-8")
    return out


SERVE = [sys.executable, "-m", "danmarkskort_tools.cli", "serve"]


def test_a_busy_port_is_one_line_and_exit_1(site):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*SERVE, str(site), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    [message] = done.stderr.splitlines()
    assert f"port {port} is already in use" in message
    suggested = int(re.search(r"try --port (\d+)$", message).group(1))  # type: ignore[union-attr]
    assert suggested != port


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_1(site, port, capsys):
    assert main(["serve", str(site), "--port", port]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"port {port} is out of range (1-65535)" in err


def test_permission_denied_is_one_line_and_exit_1(site, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(http.server, "ThreadingHTTPServer", refuse)
    assert main(["serve", str(site), "--port", "80"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "permission denied for port 80 (ports below 1024 need root); try --port" in err


def test_serve_uses_the_recorded_port_and_warns_on_another(site, monkeypatch, capsys):
    (site / "serve.json").write_text(
        '{"site_url": "http://127.0.0.1:8123", "port": 8123}', encoding="utf-8"
    )
    bound: list[int] = []

    class Server:
        def __init__(self, address, handler):
            bound.append(address[1])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def serve_forever(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(http.server, "ThreadingHTTPServer", Server)
    assert main(["serve", str(site)]) == 0
    assert bound == [8123] and "warning" not in capsys.readouterr().err
    assert main(["serve", str(site), "--port", "8124"]) == 0
    assert bound == [8123, 8124]
    err = capsys.readouterr().err
    assert "the mails in" in err and "link to http://127.0.0.1:8123/" in err


def test_help_says_what_the_tool_does_and_validate_speaks_danish(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    top = " ".join(capsys.readouterr().out.split())
    description = top.split("positional arguments")[0]
    assert "danmarkskort turns Ankestyrelsen's yearly extract" in description
    assert "without an AWS account" in description and "one mail per municipality" in description
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    help_da = capsys.readouterr().out
    assert help_da.startswith("brug: danmarkskort validate")
    for english in ("usage:", "options:", "positional arguments", "show this help"):
        assert english not in help_da
    assert "Kontrollerer et udtræk" in help_da and "vis denne hjælp" in help_da
    with pytest.raises(SystemExit) as exit_:
        main(["validate"])
    assert exit_.value.code == 2
    assert (
        "danmarkskort validate: fejl: disse argumenter mangler: UDTRÆK" in capsys.readouterr().err
    )
