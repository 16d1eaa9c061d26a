"""The real Lambda handlers as Lambda loads them, and a Lambda context, for the integration tests."""

from __future__ import annotations

import importlib.util
import uuid
from types import ModuleType
from typing import Any

from danmarkskort_tools.local.dispatcher import LocalContext

from tests.conftest import REPO


def load_app(function: str) -> ModuleType:
    """functions/<function>/app.py as a fresh module, imported after the test set the environment."""
    path = REPO / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"{function}_app_{uuid.uuid4().hex}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lambda_context(function: str, timeout: int = 900) -> LocalContext:
    return LocalContext(
        function_name=function,
        memory_limit_in_mb=1024,
        timeout=timeout,
        invoked_function_arn=f"arn:aws:lambda:eu-north-1:123456789012:function:{function}",
    )


def envelope(
    detail_type: str, detail: dict[str, Any], time: str = "2025-06-02T08:14:11Z"
) -> dict[str, Any]:
    """A project event as EventBridge delivers it to a rule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "danmarkskort",
        "account": "123456789012",
        "time": time,
        "region": "eu-north-1",
        "resources": [],
        "detail": detail,
    }


def rates_computed(s3: Any, bucket: str, doc: Any) -> dict[str, Any]:
    """compute's result for a figures document: figures.json in the data bucket, and the
    RatesComputed event announcing it."""
    key = f"results/{doc.extract_id}/figures.json"
    s3.put_object(Bucket=bucket, Key=key, Body=doc.to_json().encode())
    return envelope(
        "RatesComputed",
        {
            "extract_id": doc.extract_id,
            "extract_file": doc.extract_file,
            "received": doc.received,
            "years": list(doc.years),
            "bucket": bucket,
            "keys": {
                "figures_json": key,
                "figures_csv": key.replace(".json", ".csv"),
                "validation": key.replace("figures.json", "validation.json"),
            },
        },
    )
