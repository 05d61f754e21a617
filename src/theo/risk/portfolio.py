"""What the pre-trade checks need to know about the account: the :class:`PortfolioView` protocol.

The trade manager's :class:`theo.trading.portfolio.TradingPortfolio` implements it in memory (no I/O), so
the checks stay cheap on the path from a crossed stop to the exit order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Protocol

from theo.model.enums import Side
from theo.risk.margin import BrokerRiskValues


class PortfolioView(Protocol):
    """Account state as the risk checks see it; every amount in USD, quantities signed (short < 0)."""

    def equity(self) -> Decimal:
        """Net liquidation value now (capital + realised + unrealised - charges, or the broker's value)."""

    def start_of_day_equity(self, day: date) -> Decimal:
        """Equity at the previous session's close (market-rules.md §1.1 (iii))."""

    def start_of_day_positions(self, day: date) -> Mapping[str, tuple[Decimal, Decimal]]:
        """The positions held at the previous session's close, each with its price then: (quantity, mark)."""

    def position(self, symbol: str) -> Decimal: ...

    def positions(self) -> Mapping[str, Decimal]: ...

    def marks(self) -> Mapping[str, Decimal]:
        """Last known price per symbol."""

    def working(self, symbol: str, side: Side) -> Decimal:
        """Unfilled quantity of our working orders on ``symbol`` and ``side``."""

    def open_trade_count(self, strategy: str | None = None) -> int: ...

    def trade_open_qty(self, strategy: str, symbol: str, side: Side) -> Decimal:
        """Open quantity of ``strategy``'s trades on ``symbol`` that were entered on ``side``."""

    def trades_opened_on(self, day: date, strategy: str | None = None) -> int: ...

    def open_risk(self) -> Decimal:
        """USD lost if every open trade hit its current stop."""

    def day_pnl(self, day: date) -> Decimal:
        """Net P&L (realised + unrealised - charges) of trading day ``day``."""

    def day_trades(self, day: date) -> int:
        """Our day trades in the PDT window ending ``day`` (market-rules.md §1.4)."""

    def broker_values(self) -> BrokerRiskValues | None:
        """Values the broker reports, when it does (live); ``None`` in backtests."""
