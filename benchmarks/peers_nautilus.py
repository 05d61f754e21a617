"""The 20-bar Donchian stop-and-reverse in NautilusTrader on 1-minute bars (run by benchmarks/peers.py in the
peers' virtualenv): ``python -m benchmarks.peers_nautilus <bars.npz> <repeat>``.

Nautilus fills a market order sent from ``on_bar`` at once, at the last price it knows. To fill at the next
bar's open like the other engines, each bar's open is also fed as a trade tick at the bar's start (the venue
executes on trades, not bars), the bar itself arrives 1 ns before the next bar starts, and the orders decided
in ``on_bar`` are submitted on the next open tick. So Nautilus handles two events per bar; the figures still
count bars. The fill time is the open tick's time, the start of the bar whose open filled the order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import nautilus_trader
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import DataEngineConfig, LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType, TradeTick
from nautilus_trader.model.enums import AccountType, AggressorSide, OmsType, OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId, TradeId, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

from benchmarks.peers_common import DonchianRule, Fill, peer_main

PERIOD, QTY = 20, 100
VENUE = "XNAS"
MINUTE_NS = 60_000_000_000
SIDES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}


def new_engine(symbols: list[str], data_engine: DataEngineConfig | None = None) -> tuple[BacktestEngine,
                                                                                          dict[str, Equity]]:
    """A backtest engine with one margin venue that executes on trade ticks, and the symbols' equities (their
    maker and taker fees are 0, so no commission: the fills' commissions are summed and reported)."""
    engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("PEERS-001"),
                                                 logging=LoggingConfig(bypass_logging=True),
                                                 data_engine=data_engine or DataEngineConfig()))
    engine.add_venue(venue=Venue(VENUE), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                     base_currency=USD, starting_balances=[Money(1_000_000_000_000, USD)],
                     default_leverage=Decimal(100),
                     bar_execution=False, trade_execution=True)
    instruments = {s: TestInstrumentProvider.equity(symbol=s, venue=VENUE) for s in symbols}
    for inst in instruments.values():
        engine.add_instrument(inst)
    return engine, instruments


class TrackedStrategy(Strategy):
    """Keeps the net position per symbol from its own fills and records every fill."""

    def __init__(self, config: StrategyConfig) -> None:
        super().__init__(config)
        self.position: dict[str, float] = {}
        self.fills: list[Fill] = []
        self.commission = 0.0

    def submit(self, instrument_id: InstrumentId, sides: tuple[str, ...]) -> None:
        for side in sides:
            self.submit_order(self.order_factory.market(instrument_id=instrument_id, order_side=SIDES[side],
                                                        quantity=Quantity.from_int(QTY)))

    def on_order_filled(self, event: OrderFilled) -> None:
        s = event.instrument_id.symbol.value
        qty = float(str(event.last_qty))
        buy = event.order_side == OrderSide.BUY
        self.position[s] = self.position.get(s, 0.0) + (qty if buy else -qty)
        self.commission += event.commission.as_double()
        # str() gives the exact decimal price; float() of it is the double every engine reads for that cent.
        self.fills.append([s, event.ts_event // 1000, "BUY" if buy else "SELL", qty, float(str(event.last_px))])


class DonchianBarsConfig(StrategyConfig, frozen=True):
    symbols: tuple[str, ...] = ("AAA", "BBB")


class DonchianBars(TrackedStrategy):
    def __init__(self, config: DonchianBarsConfig) -> None:
        super().__init__(config)
        self.rules = {s: DonchianRule(PERIOD) for s in config.symbols}
        self.todo: dict[str, tuple[str, ...]] = {s: () for s in config.symbols}

    def on_start(self) -> None:
        for s in self.config.symbols:
            self.subscribe_bars(BarType.from_str(f"{s}.{VENUE}-1-MINUTE-LAST-EXTERNAL"))
            self.subscribe_trade_ticks(InstrumentId.from_str(f"{s}.{VENUE}"))

    def on_bar(self, bar: Bar) -> None:
        s = bar.bar_type.instrument_id.symbol.value
        self.todo[s] = self.rules[s].on_bar(bar.high.as_double(), bar.low.as_double(), bar.close.as_double(),
                                            self.position.get(s, 0.0))

    def on_trade_tick(self, tick: TradeTick) -> None:
        s = tick.instrument_id.symbol.value
        if self.todo[s]:
            self.submit(tick.instrument_id, self.todo[s])
            self.todo[s] = ()


def bar_events(arrays: Any, s: str, inst: Equity) -> list[Any]:
    """The open of every bar as a trade tick at its start, then the bar 1 ns before the next bar starts."""
    bar_type = BarType.from_str(f"{s}.{VENUE}-1-MINUTE-LAST-EXTERNAL")
    out: list[Any] = []
    cols = [arrays[f"{s}_{k}"].tolist() for k in ("start_us", "open", "high", "low", "close", "volume")]
    for i, (t_us, o, h, lo, c, v) in enumerate(zip(*cols, strict=True)):
        t0 = t_us * 1000
        t1 = t0 + MINUTE_NS - 1
        size = Quantity(max(v, 1.0), 0)
        out.append(TradeTick(inst.id, Price(o, 2), size, AggressorSide.NO_AGGRESSOR, TradeId(f"{s}-{i}"), t0, t0))
        out.append(Bar(bar_type, Price(o, 2), Price(h, 2), Price(lo, 2), Price(c, 2), size, t1, t1))
    return out


def build(arrays: Any) -> Callable[[], Callable[[], Any]]:
    """The engine with every event loaded once; each run resets it and adds a fresh strategy."""
    symbols = arrays["symbols"].tolist()
    engine, instruments = new_engine(symbols)
    engine.add_data([e for s in symbols for e in bar_events(arrays, s, instruments[s])])
    return repeated(engine, lambda: DonchianBars(DonchianBarsConfig(symbols=tuple(symbols))))


def repeated(engine: BacktestEngine, strategy: Callable[[], TrackedStrategy]) -> Callable[[], Callable[[], Any]]:
    """Ready runs of ``engine`` (data loaded once): each resets it and adds a fresh strategy first."""
    runs = 0

    def ready() -> Callable[[], Any]:
        nonlocal runs
        if runs:
            engine.reset()
            engine.clear_strategies()
        runs += 1
        strat = strategy()
        engine.add_strategy(strat)

        def run() -> Any:
            engine.run()
            return strat

        return run

    return ready


def describe(what: str) -> Callable[[TrackedStrategy], dict[str, Any]]:
    return lambda s: {"engine": f"NautilusTrader {nautilus_trader.__version__}, BacktestEngine, {what}",
                      "commission": s.commission}


if __name__ == "__main__":
    peer_main(build, describe("open tick + bar per bar"))
