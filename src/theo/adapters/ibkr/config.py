"""Configuration of the Interactive Brokers adapter (``[execution.ibkr]``).

Every key can be set from the environment as ``THEO__EXECUTION__IBKR__<KEY>`` (e.g. ``..._PORT=4002``). The
TWS API has no password: TWS or IB Gateway is logged in by the trader, and the API only accepts connections
from the hosts its settings trust.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator

from theo.config.base import Section

#: TWS listens on 7496 (live) / 7497 (paper); IB Gateway on 4001 / 4002.
LIVE_PORTS = frozenset({7496, 4001})
PAPER_PORTS = frozenset({7497, 4002})


class IbkrConfig(Section):
    """Where TWS / IB Gateway listens, which account to trade, and how to survive its restarts."""

    host: str = "127.0.0.1"
    port: int = Field(default=7497, ge=1, le=65535, description="7497 TWS paper, 7496 TWS live, 4002/4001 Gateway")
    client_id: int = Field(default=1, ge=0, description="API client id of theo run; one connection per id")
    #: Client id of the short commands (theo ib check, theo positions, theo data download), so they can run
    #: beside theo run without taking its id.
    command_client_id: int = Field(default=90, ge=0)
    account: str = Field(default="", description="the account id to trade (DU... for paper); '' = the only one")
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    request_timeout_seconds: float = Field(default=15.0, gt=0)
    reconnect_initial_seconds: float = Field(default=1.0, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    #: Lost connection this long: health turns red and an alert goes out (orders are refused from the first second).
    down_alert_seconds: float = Field(default=30.0, gt=0)
    #: Liveness probe: ``reqCurrentTime`` every so often; no answer within the request timeout = connection lost.
    probe_seconds: float = Field(default=10.0, gt=0)
    #: IB Gateway / TWS restarts itself daily (set in its "Lock and Exit" settings), in exchange time.
    daily_restart: time | None = Field(default=time(23, 45), description="America/New_York; 'none' = no restart")
    #: New orders are refused this many seconds before the daily restart and until it is over.
    restart_guard_before_seconds: float = Field(default=120.0, ge=0)
    restart_guard_after_seconds: float = Field(default=600.0, ge=0)
    #: live | delayed (``reqMarketDataType`` 1 / 3); delayed needs no subscription but is 15 minutes late.
    market_data_type: str = Field(default="live", pattern="^(live|frozen|delayed|delayed_frozen)$")
    #: Trades by ``reqTickByTickData`` (AllLast) when allowed, else ``reqMktData`` with RTVolume.
    tick_by_tick: bool = True
    #: Historical-data pacing (IBKR: at most 60 requests in any 10 minutes, 6 per contract in 2 seconds,
    #: no identical request within 15 seconds).
    history_requests_per_10min: int = Field(default=60, ge=1)
    history_same_contract_per_2s: int = Field(default=6, ge=1)
    #: Back-off after a pacing violation (162 / 420), doubled up to 10 minutes.
    pacing_backoff_seconds: float = Field(default=10.0, gt=0)
    #: Messages per second to TWS (IBKR allows 50; ib_async throttles at 45).
    max_messages_per_second: int = Field(default=45, ge=1, le=50)
    #: The time zone TWS / Gateway runs in (its login settings): old TWS versions send execution times without
    #: a zone, and they are read in this one.
    tws_timezone: str = Field(default="America/New_York")
    #: Calendar days of 1-minute history fed to the strategies at start, with trading off, so their bars and
    #: indicators are warm when trading starts (0 = start cold).
    warmup_days: float = Field(default=3.0, ge=0, le=30)
    #: A fill waits this long for its commission report (then it is booked with the modelled charges).
    commission_wait_seconds: float = Field(default=2.0, ge=0)

    @field_validator("tws_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as America/New_York") from exc
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return value.strip().upper()

    @property
    def live_port(self) -> bool:
        return self.port in LIVE_PORTS

    def for_command(self, **changes: object) -> IbkrConfig:
        """The settings of a short command: its own client id, no restart guard, ``changes`` on top."""
        return self.model_copy(update={"client_id": self.command_client_id, "daily_restart": None, **changes})
