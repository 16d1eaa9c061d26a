"""The round key: the HMAC key of the personal links, from Secrets Manager.

The template creates the secret (a generated 64-character string) and names it in
COMMENT_KEY_SECRET; notify (which signs the links) and the comment function (which checks
them) read it through Powertools' parameters utility, cached for five minutes, so a warm
function does not ask Secrets Manager on every request.

One provider per set of credentials, not Powertools' module-wide default: that one keeps
the client (and the cached value) it made first, so a process that acts for several
identities or stacks in turn — the local chain, which signs each function's calls as its
own IAM user, and the tests, with a fresh local AWS each — would call with credentials
that no longer exist, or sign with another stack's key. In Lambda there is one identity per
execution environment, so this is the same single cached provider.
"""

from __future__ import annotations

import os
from typing import Any

from danmarkskort.hoering.tokens import MIN_KEY_BYTES

CACHE_SECONDS = 300
_providers: dict[tuple[str, str, str], Any] = {}


class SigningKeyError(RuntimeError):
    """The secret is missing, unreadable or too short to sign with."""


def _provider() -> Any:
    # Imported on first use: the parameters utility imports boto3 (notify's cold start
    # pays for it only when it sends invitations).
    import boto3
    from aws_lambda_powertools.utilities import parameters

    identity = (
        os.environ.get("AWS_ACCESS_KEY_ID", ""),
        os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "")),
        os.environ.get("AWS_ENDPOINT_URL", ""),
    )
    provider = _providers.get(identity)
    if provider is None:
        provider = parameters.SecretsProvider(boto3_client=boto3.client("secretsmanager"))
        _providers[identity] = provider
    return provider


def forget() -> None:
    """Drop every provider and cached value: for a process that starts another (local) AWS
    under the same credentials, as the local chain does for each command in one process."""
    _providers.clear()


def signing_key(secret_id: str) -> bytes:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _provider().get(secret_id, max_age=CACHE_SECONDS)
    except GetParameterError as exc:
        raise SigningKeyError(f"secret {secret_id!r} cannot be read: {exc}") from exc
    key = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(key) < MIN_KEY_BYTES:
        raise SigningKeyError(
            f"secret {secret_id!r} holds {len(key)} bytes; the links need at least {MIN_KEY_BYTES}"
        )
    return key
