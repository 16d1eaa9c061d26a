"""Runtime settings from the environment the template sets; one place, checked once."""

from __future__ import annotations

import os
from dataclasses import dataclass


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name}={raw!r} is not a whole number") from exc
    if value < 0:
        raise SettingsError(f"environment variable {name}={raw!r} must not be negative")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError as exc:
        raise SettingsError(f"environment variable {name}={raw!r} is not a number") from exc
    if value <= 0:
        raise SettingsError(f"environment variable {name}={raw!r} must be positive")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"environment variable {name}={raw!r} is not true/false")


@dataclass(frozen=True)
class Settings:
    data_bucket: str
    site_bucket: str
    event_bus: str
    state_table: str
    sender: str
    reply_to: str
    site_url: str
    lav_n_threshold: int
    max_extract_bytes: int
    send_rate: float
    dry_run: bool
    # The consultation round (hoering/): on, an accepted extract opens a round instead of
    # publishing; the links' HMAC key is the Secrets Manager secret named here.
    hoering: bool = False
    comment_key_secret: str = ""
    comment_posts_per_minute: int = 5
    schedule_group: str = ""
    scheduler_role_arn: str = ""
    event_bus_arn: str = ""  # the schedules' target
    comment_settle_seconds: int = 0

    def need(self, *names: str) -> Settings:
        """Fail early, naming the variable, when a function lacks what it needs."""
        env = {
            "data_bucket": "DATA_BUCKET",
            "site_bucket": "SITE_BUCKET",
            "event_bus": "EVENT_BUS_NAME",
            "state_table": "STATE_TABLE",
            "sender": "SENDER_ADDRESS",
            "site_url": "SITE_URL",
            "comment_key_secret": "COMMENT_KEY_SECRET",
            "schedule_group": "SCHEDULE_GROUP",
            "scheduler_role_arn": "SCHEDULER_ROLE_ARN",
            "event_bus_arn": "EVENT_BUS_ARN",
        }
        missing = [env[n] for n in names if not getattr(self, n)]
        if missing:
            raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
        return self


def load_settings() -> Settings:
    return Settings(
        data_bucket=os.environ.get("DATA_BUCKET", ""),
        site_bucket=os.environ.get("SITE_BUCKET", ""),
        event_bus=os.environ.get("EVENT_BUS_NAME", ""),
        state_table=os.environ.get("STATE_TABLE", ""),
        sender=os.environ.get("SENDER_ADDRESS", ""),
        reply_to=os.environ.get("REPLY_TO_ADDRESS", ""),
        site_url=os.environ.get("SITE_URL", "").rstrip("/"),
        lav_n_threshold=_int("LOW_N_THRESHOLD", 20),
        max_extract_bytes=_int("MAX_EXTRACT_BYTES", 200 * 1024 * 1024),
        send_rate=_float("SEND_RATE", 14.0),
        dry_run=_bool("DRY_RUN", False),
        hoering=_bool("HOERING", False),
        comment_key_secret=os.environ.get("COMMENT_KEY_SECRET", ""),
        comment_posts_per_minute=_int("COMMENT_POSTS_PER_MINUTE", 5),
        schedule_group=os.environ.get("SCHEDULE_GROUP", ""),
        scheduler_role_arn=os.environ.get("SCHEDULER_ROLE_ARN", ""),
        event_bus_arn=os.environ.get("EVENT_BUS_ARN", ""),
        comment_settle_seconds=_int("COMMENT_SETTLE_SECONDS", 0),
    )
