"""The one observability setup of every handler: Powertools Logger and Metrics.

- Logger: JSON logs with the Lambda context; the event is logged when the template's
  POWERTOOLS_LOGGER_LOG_EVENT says so; the correlation id is the extract id (set by the job
  as soon as it is known, see ``correlate``).
- Metrics: EMF in the namespace the template sets (POWERTOOLS_METRICS_NAMESPACE), with a
  default so a bare local invocation does not fail when the metrics are flushed.
- No Tracer: the X-Ray SDK behind it costs 150-170 ms of every cold start and is in
  maintenance mode; `Tracing: Active` in the template still records each function's segment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Danmarkskort"

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Observability:
    """One per handler module (each Lambda process runs one function; locally, three share a
    process, so each keeps its own service name)."""

    logger: Logger
    metrics: Metrics

    def handler(self, handler: H) -> H:
        """Wrap a Lambda handler: context in every log line, metrics flushed at the end."""
        wrapped = self.logger.inject_lambda_context(self.metrics.log_metrics(handler))
        return cast(H, wrapped)  # Powertools' decorators keep the signature, typed as Callable

    def correlate(self, extract_id: str) -> None:
        """Every later log line of this invocation carries the extract id."""
        self.logger.set_correlation_id(extract_id)

    def count(self, name: str, value: float) -> None:
        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def observability() -> Observability:
    return Observability(
        logger=Logger(),
        metrics=Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE),
    )
