"""notify_municipalities stays light: importing its handler pulls in neither pandas nor the
spreadsheet and template libraries (those load when the first mail is composed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
sys.path.insert(0, {handler_dir!r})
import app
print(json.dumps({{name: name in sys.modules for name in ("pandas", "numpy", "openpyxl")}}))
"""


def test_handler_import_does_not_load_pandas():
    handler_dir = str(REPO / "functions" / "notify_municipalities")
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(handler_dir=handler_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-north-1"},
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"pandas": False, "numpy": False, "openpyxl": False}
