"""OUT/serve.json, which tells `danmarkskort serve` the port the mails and snippets link to:
a damaged or foreign one is named, never silently taken for port 8000."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from danmarkskort_tools.cli import main
from danmarkskort_tools.local.chain import ServeFileError, recorded_site


def write(out: Path, body: bytes | str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = body if isinstance(body, bytes) else body.encode()
    (out / "serve.json").write_bytes(data)


def test_a_recorded_local_site_is_read(tmp_path: Path) -> None:
    write(tmp_path, json.dumps({"site_url": "http://127.0.0.1:8123", "port": 8123}))
    assert recorded_site(tmp_path) == ("http://127.0.0.1:8123", 8123)
    assert recorded_site(tmp_path / "none") is None  # an older output: nothing recorded


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "cannot be read as JSON"),
        (b"\xff\xfe\x00", "cannot be read as JSON"),
        ("[]", "'port' must be a whole number 1-65535, not None"),
        ('{"site_url": "http://127.0.0.1:1", "port": true}', "not True"),
        ('{"site_url": "http://127.0.0.1:8765", "port": 8765.9}', "not 8765.9"),
        ('{"site_url": "http://127.0.0.1:70000", "port": 70000}', "not 70000"),
        ('{"site_url": "http://example.com:8000", "port": 8000}', "'site_url' must be"),
        ('{"site_url": "http://127.0.0.1:8001", "port": 8000}', "'site_url' must be"),
    ],
)
def test_a_damaged_serve_file_is_named(tmp_path: Path, body, says: str) -> None:
    write(tmp_path, body)
    with pytest.raises(ServeFileError, match=r"serve\.json: ") as info:
        recorded_site(tmp_path)
    assert says in str(info.value)


def test_serve_warns_about_a_damaged_file_and_suggests_a_real_port(tmp_path, capsys) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<!doctype html>", encoding="utf-8")
    write(tmp_path, '{"site_url": "http://127.0.0.1:70000", "port": 70000}')
    with socket.socket() as busy:  # the port it falls back to is taken: no server starts
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(tmp_path), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert "warning: " in err and "serve.json: 'port' must be a whole number" in err
    assert f"port {port} is already in use" in err and "Traceback" not in err
    assert main(["serve", str(tmp_path), "--port", "70000"]) == 1
    assert "try --port 8000" in capsys.readouterr().err  # not the recorded 70000 back
