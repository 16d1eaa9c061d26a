"""The round key: the HMAC key of the personal links, from Secrets Manager.

The template creates the secret (a generated 64-character string) and names it in
COMMENT_KEY_SECRET; render_site (which signs the links) and the comment function (which
checks them) read it through Powertools' parameters utility, cached for five minutes, so a
warm function does not ask Secrets Manager on every request.
"""

from __future__ import annotations

from danmarkskort.hoering.tokens import MIN_KEY_BYTES

CACHE_SECONDS = 300


class SigningKeyError(RuntimeError):
    """The secret is missing, unreadable or too short to sign with."""


def signing_key(secret_id: str) -> bytes:
    # Imported on first use: the parameters utility imports boto3 (notify's cold start
    # pays for it only when it sends invitations).
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(secret_id, max_age=CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as exc:
        raise SigningKeyError(f"secret {secret_id!r} cannot be read: {exc}") from exc
    key = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(key) < MIN_KEY_BYTES:
        raise SigningKeyError(
            f"secret {secret_id!r} holds {len(key)} bytes; the links need at least {MIN_KEY_BYTES}"
        )
    return key
