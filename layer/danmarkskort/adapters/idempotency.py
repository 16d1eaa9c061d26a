"""Once per extract (ports.Once): Powertools idempotency on the state table.

compute_rates and render_site wrap their work in it the same way; notify_municipalities has
its own per-mail ledger instead (adapters/ledger.py), since it must resume half-done runs.
"""

from __future__ import annotations

import os
from typing import Any

from danmarkskort.ports import Job, Once

# Results stay published; remembering that they were made outlives a year (Powertools'
# default of one hour would let a re-upload of last year's file publish it again).
REMEMBER_SECONDS = 400 * 24 * 3600
KEY_NAME = "once_per_extract"


def once_per_extract(
    table: str, context: Any, *, data_keyword: str, key: str = "extract_id"
) -> Once:
    """Decorator: the wrapped step runs once per `key` (a JMESPath into its `data_keyword`
    dict, by default the extract id); a repeat returns the stored result, and a failure
    leaves no record, so a retry redoes it."""
    # Imported here: the persistence layer imports boto3, which costs more than the rest of
    # the handler's import (see bench/cold_start.py).
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=REMEMBER_SECONDS)
    config.register_lambda_context(context)

    # A fixed key prefix: Powertools would otherwise prefix the key with the wrapped step's
    # module and name, so moving code would silently forget every record. The function name
    # leads, as the template's dynamodb:LeadingKeys condition requires.
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or getattr(context, "function_name", "")
    prefix = f"{function or 'danmarkskort'}.{KEY_NAME}"

    def once(step: Job) -> Job:
        wrapped: Job = idempotent_function(
            data_keyword_argument=data_keyword,
            persistence_store=DynamoDBPersistenceLayer(table_name=table),
            config=config,
            key_prefix=prefix,
        )(step)
        return wrapped

    return once
