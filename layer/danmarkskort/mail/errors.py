"""What can go wrong when sending, as the sending loop needs to tell the cases apart.

Defined here, not in the SES adapter, so the loop can catch them without importing boto3.
"""

from __future__ import annotations


class SenderNotVerified(RuntimeError):
    """The From identity is not verified in SES: nothing can be sent, so the run fails."""


class PermanentSendError(RuntimeError):
    """SES refused this message; retrying the same message will not help."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class TransientSendError(RuntimeError):
    """SES did not take the message for a passing reason and we gave up for now."""


class SendingBlocked(RuntimeError):
    """The account cannot send (paused, suspended, daily quota): stop the whole run."""
