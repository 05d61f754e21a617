"""The ``[bus]`` section: which message bus connects the engine's components.

``memory`` (the default) is the in-process bus of ``theo run``: one process, nothing to install. ``nats`` runs
the components as separate services (``theo service run``) connected through a NATS JetStream server; see
docs/services.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from theo.config.base import Section


class BusConfig(Section):
    """Where the services meet: the NATS server, the subject prefix and the stream that keeps the messages."""

    kind: Literal["memory", "nats"] = Field(default="memory", description="memory: one process (theo run); "
                                            "nats: separate services (theo service run NAME)")
    url: str = Field(default="nats://127.0.0.1:4222", description="the NATS server (JetStream enabled)")
    token: SecretStr | None = Field(default=None, description="NATS auth token: only from THEO__BUS__TOKEN")
    prefix: str = Field(default="theo", description="subjects are PREFIX.TOPIC (ticks.SPY -> theo.ticks.SPY); "
                        "one prefix per deployment sharing a server")
    stream: str = Field(default="", description="JetStream stream name (default: the prefix in capitals)")
    max_age_hours: float = Field(default=72.0, gt=0, description="the stream keeps messages this long; a "
                                 "restarted service rebuilds its state from them")
    duplicate_window_seconds: float = Field(default=7200.0, gt=0, description="a message id published again "
                                            "within this window is stored once")
    max_pending: int = Field(default=50_000, ge=1, description="messages a service may have queued for the "
                             "server before publishing waits (back-pressure, nothing dropped)")
    connect_timeout_seconds: float = Field(default=5.0, gt=0, description="give up connecting after this long")

    @field_validator("url")
    @classmethod
    def _nats_url(cls, value: str) -> str:
        if not value.startswith(("nats://", "tls://")):
            raise ValueError(f"unsupported NATS URL {value!r}; use nats://HOST:PORT (or tls://HOST:PORT)")
        if "@" in value.split("//", 1)[-1].split("/", 1)[0]:
            raise ValueError("the URL holds credentials; put a token in THEO__BUS__TOKEN instead")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        words = value.split(".")
        if not value or any(not w or not all(c.isalnum() or c in "-_" for c in w) for w in words):
            raise ValueError(f"prefix {value!r}: use dotted words of letters, digits, - and _ (e.g. theo)")
        return value

    @field_validator("stream")
    @classmethod
    def _stream(cls, value: str) -> str:
        if value and not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError(f"stream {value!r}: use letters, digits, - and _ only (e.g. THEO)")
        return value


class ServicesConfig(Section):
    """What the separate services do beyond the engine's own work (docs/services.md)."""

    indicators: str = Field(default="swing:5:5,atr:14", description="indicators the aggregator keeps per symbol "
                            "and bar timeframe; swing changes go out on indicators.swing.SYM (alerts)")
    indicator_timeframes: list[str] = Field(default_factory=lambda: ["15m"], description="bar timeframes the "
                                            "indicators follow (each one of [marketdata.bars] timeframes)")
    watchdog_seconds: int = Field(default=30, ge=0, description="systemd WatchdogSec of the units `theo "
                                  "service install` writes (0: no watchdog)")

    @field_validator("indicators")
    @classmethod
    def _spec(cls, value: str) -> str:
        if value.strip():
            from theo.indicators.registry import parse_spec

            parse_spec(value)
        return value
