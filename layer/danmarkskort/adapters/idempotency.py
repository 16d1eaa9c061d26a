"""Once per extract: Powertools idempotency on the state table, as compute and render use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

F = TypeVar("F", bound=Callable[..., Any])

# Results stay published; remembering that they were made outlives a year (Powertools'
# default of one hour would let a re-upload of last year's file publish it again).
REMEMBER_SECONDS = 400 * 24 * 3600


def once_per_extract(table: str, context: Any, *, data_keyword: str) -> Callable[[F], F]:
    """Decorator: the wrapped function runs once per `extract_id` in its `data_keyword` dict;
    a repeat returns the stored result, and a failure leaves no record, so a retry redoes it."""
    config = IdempotencyConfig(
        event_key_jmespath="extract_id", expires_after_seconds=REMEMBER_SECONDS
    )
    config.register_lambda_context(context)
    return idempotent_function(
        data_keyword_argument=data_keyword,
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
        config=config,
    )
