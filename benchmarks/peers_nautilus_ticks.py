"""The 20-bar Donchian stop-and-reverse in NautilusTrader on trade ticks (run by benchmarks/peers.py in the peers'
virtualenv): ``python -m benchmarks.peers_nautilus_ticks <ticks.npz> <repeat>``.

Every tick is a ``TradeTick``; Nautilus builds the 1-minute bars itself (``1-MINUTE-LAST-INTERNAL``,
intervals ``[start, end)`` like Theo's, no bar for a minute without trades so nights and weekends give no flat
bars) and the strategy sees only the bars. Market orders are submitted from ``on_bar``, the way a Nautilus user
writes it, and fill at the venue's last trade price (the venue executes on trades); the strategy does not
subscribe to the ticks themselves, so the figure has no per-tick Python callback. 100 shares, no stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nautilus_trader.config import DataEngineConfig
from nautilus_trader.model.data import Bar, BarType, TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.objects import Price, Quantity

from benchmarks.peers_common import DonchianRule, peer_main
from benchmarks.peers_nautilus import PERIOD, VENUE, DonchianBarsConfig, TrackedStrategy, describe, new_engine, repeated

DATA_ENGINE = DataEngineConfig(time_bars_interval_type="right-open", time_bars_build_with_no_updates=False)


class DonchianTicks(TrackedStrategy):
    def __init__(self, config: DonchianBarsConfig) -> None:
        super().__init__(config)
        self.rules = {s: DonchianRule(PERIOD) for s in config.symbols}
        self.bars = 0

    def on_start(self) -> None:
        for s in self.config.symbols:
            self.subscribe_bars(BarType.from_str(f"{s}.{VENUE}-1-MINUTE-LAST-INTERNAL"))

    def on_bar(self, bar: Bar) -> None:
        self.bars += 1
        iid = bar.bar_type.instrument_id
        s = iid.symbol.value
        self.submit(iid, self.rules[s].on_bar(bar.high.as_double(), bar.low.as_double(), bar.close.as_double(),
                                              self.position.get(s, 0.0)))


def build(arrays: Any) -> Callable[[], Callable[[], Any]]:
    symbols = arrays["symbols"].tolist()
    engine, instruments = new_engine(symbols, DATA_ENGINE)
    ticks = []
    for s in symbols:
        iid = instruments[s].id
        cols = [arrays[f"{s}_{k}"].tolist() for k in ("start_us", "close", "volume")]
        for i, (t_us, p, v) in enumerate(zip(*cols, strict=True)):
            t = t_us * 1000
            ticks.append(TradeTick(iid, Price(p, 2), Quantity(v, 0), AggressorSide.NO_AGGRESSOR,
                                   TradeId(f"{s}-{i}"), t, t))
    engine.add_data(ticks)
    return repeated(engine, lambda: DonchianTicks(DonchianBarsConfig(symbols=tuple(symbols))))


if __name__ == "__main__":
    peer_main(build, lambda s: describe("trade ticks, internal 1-minute bars")(s) | {"bars": s.bars})
