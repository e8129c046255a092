"""The errors of the OpenGWAS client, each a failure a user can act on (``mrkit`` prints the message in one line
and exits with code 2); see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

from ...errors import MRKitError

__all__ = ["OpenGWASError", "TokenMissing", "TokenMalformed", "TokenRefused", "AllowanceExhausted",
           "ServerUnavailable", "EmptyAnswer"]


class OpenGWASError(MRKitError):
    """A request to the OpenGWAS API failed in a way the user can act on; the message says how."""


class TokenMissing(OpenGWASError):
    """No token in ``$OPENGWAS_JWT`` and the answer is not in the cache."""


class TokenMalformed(TokenMissing):
    """``$OPENGWAS_JWT`` holds something that is not a token, even cleaned (:func:`.auth.clean_token`)."""


class TokenRefused(OpenGWASError):
    """The server answered 401 or 403: the token is missing, expired or invalid."""


class AllowanceExhausted(OpenGWASError):
    """The allowance is used up until ``reset_at`` (seconds since the epoch, or None if unknown)."""

    def __init__(self, message: str, reset_at: float | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class ServerUnavailable(OpenGWASError):
    """5xx answers, time-outs or lost connections persisted through every retry within the time-out."""


class EmptyAnswer(OpenGWASError):
    """The server answered with no rows: an unknown id, no access, or nothing below the threshold."""
