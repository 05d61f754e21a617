"""A hand-set PortfolioView and a check rig for the risk tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from theo.config.market import MarketConfig
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.model.enums import OrderType, Side
from theo.model.orders import OrderRequest
from theo.risk.checks import PreTradeChecks
from theo.risk.config import RiskConfig
from theo.risk.margin import BrokerRiskValues
from theo.risk.state import TradingState

D = Decimal
ZERO = Decimal(0)
D100K = Decimal(100_000)
#: Tue 2019-02-12 10:00 ET.
NOW = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)


@dataclass
class FakePortfolio:
    eq: Decimal = D100K
    sod: Decimal | None = None
    pos: dict[str, Decimal] = field(default_factory=dict)
    sod_pos: dict[str, Decimal] | None = None  # held at the previous close (default: the positions now)
    px: dict[str, Decimal] = field(default_factory=lambda: {"SPY": D(270), "AAPL": D(170)})
    work: dict[tuple[str, Side], Decimal] = field(default_factory=dict)
    active: int = 0
    opened_today: int = 0
    risk_open: Decimal = ZERO
    pnl_today: Decimal = ZERO
    dt_count: int = 0
    bv: BrokerRiskValues | None = None
    trade_qty: dict[tuple[str, str, Side], Decimal] = field(default_factory=dict)

    def equity(self) -> Decimal:
        return self.eq

    def start_of_day_equity(self, day: date) -> Decimal:
        return self.sod if self.sod is not None else self.eq

    def start_of_day_positions(self, day: date) -> dict[str, tuple[Decimal, Decimal]]:
        held = self.pos if self.sod_pos is None else self.sod_pos
        return {s: (q, self.px[s]) for s, q in held.items() if q and s in self.px}

    def position(self, symbol: str) -> Decimal:
        return self.pos.get(symbol, D(0))

    def positions(self) -> dict[str, Decimal]:
        return dict(self.pos)

    def marks(self) -> dict[str, Decimal]:
        return self.px

    def working(self, symbol: str, side: Side) -> Decimal:
        return self.work.get((symbol, side), D(0))

    def open_trade_count(self, strategy: str | None = None) -> int:
        return self.active

    def trade_open_qty(self, strategy: str, symbol: str, side: Side) -> Decimal:
        return self.trade_qty.get((strategy, symbol, side), D(0))

    def trades_opened_on(self, day: date, strategy: str | None = None) -> int:
        return self.opened_today

    def open_risk(self) -> Decimal:
        return self.risk_open

    def day_pnl(self, day: date) -> Decimal:
        return self.pnl_today

    def day_trades(self, day: date) -> int:
        return self.dt_count

    def broker_values(self) -> BrokerRiskValues | None:
        return self.bv


def make_checks(config: RiskConfig | None = None, pf: FakePortfolio | None = None,
                now: datetime = NOW) -> tuple[PreTradeChecks, FakePortfolio, TradingState]:
    clock = SimulatedClock(now)
    pf = pf or FakePortfolio()
    cfg = config or RiskConfig()
    state = TradingState(clock, rate=cfg.rate_limit)
    checks = PreTradeChecks(cfg, MarketConfig(), state, pf, clock, get_calendar("XNYS"))
    return checks, pf, state


def order(side: str = "BUY", qty: int = 100, symbol: str = "SPY", **kw: object) -> OrderRequest:
    return OrderRequest(symbol, Side(side), D(qty), OrderType.MARKET, **kw)  # type: ignore[arg-type]
