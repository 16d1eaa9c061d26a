"""The module loggers of the core: children of the running function's Powertools logger.

Powertools names a function's logger after its service (POWERTOOLS_SERVICE_NAME) and gives
its child loggers that prefix, so a warning from deep in the core is one JSON line with the
invocation's context. This module does not import Powertools: the core stays light to import.
"""

from __future__ import annotations

import logging
import os


def child_logger(module: str) -> logging.Logger:
    """The logger for ``module`` (pass ``__name__``) under the function's service."""
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "service_undefined"
    return logging.getLogger(f"{service}.{module}")
