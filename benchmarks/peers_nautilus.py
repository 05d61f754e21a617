"""The Donchian breakout of theo.strategy.library.donchian written for NautilusTrader (run by benchmarks/peers.py in
the peers' virtualenv).

Nautilus fills a market order sent from ``on_bar`` at that bar's close. To fill at the next bar's open like
the other engines, each bar's open is also fed as a trade tick at the bar's start, the bar itself arrives
1 ns before the next bar starts, and the orders decided in ``on_bar`` are sent on the next open tick.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

import numpy as np
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType, TradeTick
from nautilus_trader.model.enums import AccountType, AggressorSide, OmsType, OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId, TradeId, TraderId, Venue
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy


class DonchianConfig(StrategyConfig, frozen=True):
    symbols: tuple[str, ...] = ("AAA", "BBB")
    entry: int = 20
    exit: int = 10
    qty: int = 100


class Donchian(Strategy):
    def __init__(self, config: DonchianConfig) -> None:
        super().__init__(config)
        self.highs: dict[str, list[float]] = {s: [] for s in config.symbols}
        self.lows: dict[str, list[float]] = {s: [] for s in config.symbols}
        self.prev: dict[str, list[bool]] = {s: [False] * 4 for s in config.symbols}
        self.side: dict[str, int] = {s: 0 for s in config.symbols}  # +1 long, -1 short, 0 flat (after fills)
        self.todo: dict[str, list[OrderSide]] = {s: [] for s in config.symbols}
        self.fills: list[list[object]] = []

    def on_start(self) -> None:
        for s in self.config.symbols:
            iid = InstrumentId.from_str(f"{s}.XNAS")
            self.subscribe_bars(BarType.from_str(f"{s}.XNAS-1-MINUTE-LAST-EXTERNAL"))
            self.subscribe_trade_ticks(iid)

    def on_bar(self, bar: Bar) -> None:
        s = bar.bar_type.instrument_id.symbol.value
        n, m = self.config.entry, self.config.exit
        hs, ls = self.highs[s], self.lows[s]
        c = bar.close.as_double()
        conds = [False] * 4
        if len(hs) >= n:
            conds = [c > max(hs[-n:]), c < min(ls[-n:]), c < min(ls[-m:]), c > max(hs[-m:])]
        fired = [a and not b for a, b in zip(conds, self.prev[s], strict=True)]
        self.prev[s] = conds
        hs.append(bar.high.as_double())
        ls.append(bar.low.as_double())
        if len(hs) > 2 * n:
            del hs[:-n], ls[:-n]
        pos = self.side[s]
        closing = False
        if fired[2] and pos > 0:
            self.todo[s].append(OrderSide.SELL)
            closing = True
        elif fired[3] and pos < 0:
            self.todo[s].append(OrderSide.BUY)
            closing = True
        if pos == 0 or closing:
            if fired[0]:
                self.todo[s].append(OrderSide.BUY)
            elif fired[1]:
                self.todo[s].append(OrderSide.SELL)

    def on_trade_tick(self, tick: TradeTick) -> None:
        s = tick.instrument_id.symbol.value
        for side in self.todo[s]:
            order = self.order_factory.market(instrument_id=tick.instrument_id, order_side=side,
                                              quantity=Quantity.from_int(self.config.qty))
            self.submit_order(order)
        self.todo[s] = []

    def on_order_filled(self, event: OrderFilled) -> None:
        s = event.instrument_id.symbol.value
        sign = 1 if event.order_side == OrderSide.BUY else -1
        self.side[s] += sign
        self.fills.append([s, event.ts_event // 1000, "BUY" if sign > 0 else "SELL",
                           round(event.last_px.as_double(), 2)])


def main(path: str, entry: int, exit_: int) -> None:
    arrays = np.load(path)
    symbols = tuple(arrays["symbols"].tolist())
    engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("PEERS-001"),
                                                 logging=LoggingConfig(bypass_logging=True)))
    engine.add_venue(venue=Venue("XNAS"), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                     base_currency=USD, starting_balances=[Money(1_000_000_000, USD)], bar_execution=False,
                     default_leverage=Decimal(100))
    data = []
    for s in symbols:
        inst = TestInstrumentProvider.equity(symbol=s, venue="XNAS")
        engine.add_instrument(inst)
        bar_type = BarType.from_str(f"{s}.XNAS-1-MINUTE-LAST-EXTERNAL")
        start = arrays[f"{s}_start_us"].astype(np.int64) * 1000
        cols = [arrays[f"{s}_{k}"].tolist() for k in ("open", "high", "low", "close", "volume")]
        for i, (o, h, lo, c, v) in enumerate(zip(*cols, strict=True)):
            t0 = int(start[i])
            t1 = t0 + 60_000_000_000 - 1
            data.append(TradeTick(inst.id, Price(o, 2), Quantity(max(v, 1.0), 0), AggressorSide.NO_AGGRESSOR,
                                  TradeId(f"{s}-{i}"), t0, t0))
            data.append(Bar(bar_type, Price(o, 2), Price(h, 2), Price(lo, 2), Price(c, 2), Quantity(max(v, 1.0), 0),
                            t1, t1))
    engine.add_data(data)
    strategy = Donchian(DonchianConfig(symbols=symbols, entry=entry, exit=exit_))
    engine.add_strategy(strategy)
    t0 = time.perf_counter()
    engine.run()
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "fills": strategy.fills}))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
