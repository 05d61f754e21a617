"""A user's mistake in an operator command: a clear message, mapped to an HTTP status by the API and to a reply
by the Telegram bot; never a traceback."""

from __future__ import annotations

from theo.core.errors import TheoError


class ServiceError(TheoError):
    """Base of the operator commands' errors; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Invalid(ServiceError):
    """A value the command cannot take (the message names the field, the value and what to do)."""

    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    """The actor's role does not allow this command."""

    status = 403


class Conflict(ServiceError):
    """The command cannot run in the current state (e.g. already halted, a backtest is running)."""

    status = 409


class Unauthorized(ServiceError):
    """No valid session or token."""

    status = 401


class RateLimited(ServiceError):
    """Too many attempts; ``retry_after`` seconds until the next one is accepted (the API's Retry-After)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
