"""Write docs/config/<file>.schema.json, the JSON Schema of each config file, from its model
in danmarkskort.config.models, so an editor can check a file while it is being written (point
the file's "$schema" at it, or map it in the editor's settings).

Run after changing a model: .venv/bin/python scripts/config_schemas.py
(tests/unit/test_config.py fails while a committed schema differs from the models.)
Cross-file rules (a remark's areas must be in areas.json), the upper year bound (ten years
ahead of today) and the placeholder rules are checked when the file is read, not by the schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from danmarkskort.config.models import FILES, ConfigFile, json_schema

OUT = Path(__file__).resolve().parents[1] / "docs" / "config"


def schema_path(model: type[ConfigFile]) -> Path:
    return OUT / f"{model.FILE}.schema.json"


def schema_text(model: type[ConfigFile]) -> str:
    return json.dumps(json_schema(model), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for model in FILES:
        path = schema_path(model)
        text = schema_text(model)
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(OUT.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
