"""Configuration of the Polygon / Massive adapter (``[polygon]``).

The API key is never in the file: ``api_key_env`` names the environment variable that holds it (default
``POLYGON_API_KEY``; ``MASSIVE_API_KEY``, the client's own name, is read when that one is unset). Every key
can also be set as ``THEO__POLYGON__<KEY>``. The URLs are settings so that tests (and a proxy) can point the
client elsewhere: ``ws_url`` is the socket host with its scheme (``wss://delayed.massive.com`` for the
15-minute delayed feed), ``rest_url`` the REST base.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from theo.adapters.polygon.errors import PolygonAuthError
from theo.config.base import Section

#: The variable the massive client itself reads; used when ``api_key_env`` is unset.
CLIENT_KEY_ENV = "MASSIVE_API_KEY"
CHANNELS = ("T", "Q", "AM")


class PolygonConfig(Section):
    """Where Polygon / Massive is, which streams to take and how hard to retry."""

    api_key_env: str = Field(default="POLYGON_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                             description="environment variable holding the API key")
    ws_url: str = Field(default="wss://socket.massive.com", description="ws[s]://host[:port] of the socket")
    market: str = Field(default="stocks", pattern="^(stocks|options|indices)$")
    rest_url: str = Field(default="https://api.massive.com")
    #: T trades, Q quotes, AM Polygon's own minute bars (published as bars.1m.SYM beside the aggregator's).
    channels: list[str] = Field(default_factory=lambda: ["T", "Q"])
    #: No ``connected`` greeting, auth reply and subscription within this long: the attempt failed.
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    reconnect_initial_seconds: float = Field(default=1.0, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    #: Quote sizes arrive in round lots (Polygon's spec); Theo's quotes are in shares.
    quote_lot_shares: int = Field(default=100, ge=1)
    #: REST: seconds per request, retries of 429/5xx answers, the longest Retry-After honoured.
    rest_timeout_seconds: float = Field(default=10.0, gt=0)
    rest_retries: int = Field(default=5, ge=0, le=20)
    rest_backoff_seconds: float = Field(default=0.5, ge=0)
    rest_retry_after_max_seconds: int = Field(default=60, ge=0)
    #: Aggregates per REST page (Polygon allows up to 50000).
    rest_page_limit: int = Field(default=50_000, ge=1, le=50_000)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        out = [c.strip().upper() for c in value]
        bad = [c for c in out if c not in CHANNELS]
        if bad:
            raise ValueError(f"unknown channel(s) {bad}; use T (trades), Q (quotes), AM (minute bars)")
        return out

    @field_validator("ws_url", "rest_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("ws", "wss", "http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not a URL such as wss://socket.massive.com or https://api.massive.com")
        return value.strip().rstrip("/")

    @property
    def ws_host(self) -> str:
        """``host[:port]`` of the socket (the client builds ``ws[s]://host/market`` from it)."""
        return urlsplit(self.ws_url).netloc

    @property
    def ws_secure(self) -> bool:
        return urlsplit(self.ws_url).scheme == "wss"

    def api_key(self) -> str:
        """The API key from the environment; a :class:`PolygonAuthError` naming the variable when unset."""
        for name in dict.fromkeys((self.api_key_env, CLIENT_KEY_ENV)):
            value = os.environ.get(name, "").strip()
            if value:
                return value
        raise PolygonAuthError(f"no Polygon / Massive API key: set the environment variable {self.api_key_env} "
                               f"(or {CLIENT_KEY_ENV}); [polygon] api_key_env names the variable to read")

    def key_source(self) -> str:
        """Which variable the key is read from (for messages; never the key)."""
        for name in dict.fromkeys((self.api_key_env, CLIENT_KEY_ENV)):
            if os.environ.get(name, "").strip():
                return name
        return self.api_key_env
