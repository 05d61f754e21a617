"""Errors of the Polygon adapter and what Theo does with each.

* :class:`PolygonAuthError` (a :class:`ConfigError`): the key is missing or refused; retrying cannot help, so
  :meth:`Feed.serve` does not retry it. Its message names the environment variable, never the key.
* :class:`PolygonError` (a :class:`FeedError`): the socket dropped, timed out or sent garbage; ``serve``
  reconnects with back-off and subscribes again.
* :class:`PolygonRestError` (a :class:`FeedError`): a REST request failed after its retries (429 rate limit,
  5xx, 401/403); the backfill caller decides whether to try later.
"""

from __future__ import annotations

from theo.core.errors import ConfigError, FeedError

#: Status messages of the socket (``{"ev": "status", "status": ...}``) and what they mean for a trader.
STATUS_HINTS: dict[str, str] = {
    "auth_failed": "the API key was refused: check the key and that the plan includes this market",
    "auth_timeout": "the server got no key in time",
    "max_connections": "too many connections with this key: another program (or a second theo) uses it; "
                       "the server closes one of them",
    "slow_consumer": "Theo did not read fast enough; the server may disconnect",
    "force_disconnect": "the server ended the session",
    "error": "the server refused a request",
}


class PolygonAuthError(ConfigError):
    """The API key is missing or was refused (see the module docstring)."""


class PolygonError(FeedError):
    """The Polygon socket failed; the feed reconnects (see the module docstring)."""


class PolygonRestError(FeedError):
    """A REST request failed after its retries (see the module docstring)."""


def redact(text: str, key: str) -> str:
    """``text`` with every occurrence of the API key replaced (server errors may echo the request URL)."""
    return text.replace(key, "***") if key else text
