"""The real Lambda handlers as Lambda loads them, and a Lambda context, for the integration tests."""

from __future__ import annotations

import importlib.util
import uuid
from types import ModuleType

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
