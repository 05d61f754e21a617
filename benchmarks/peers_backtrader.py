"""The 20-bar Donchian stop-and-reverse in backtrader (run by benchmarks/peers.py in the peers' virtualenv).

``python -m benchmarks.peers_backtrader <bars.npz> <repeat>``. Market orders placed in ``next`` fill at the
next bar's open (backtrader's default), 100 shares, no commission; a reversal is a closing order then an
opening order, as Theo's trade manager does.

The feeds are loaded (``preload``) before the timer: :class:`PreloadedCerebro` takes backtrader's own path
for data loaded ahead of ``run()`` (``runstrategies(predata=True)``, what ``optdatas`` uses), so the timed
``cerebro.run()`` builds the strategy and its indicators and runs the bars, and does not parse the DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import backtrader as bt
import pandas as pd

from benchmarks.peers_common import Fill, peer_main

PERIOD, QTY = 20, 100


class PreloadedCerebro(bt.Cerebro):  # type: ignore[misc]
    """A Cerebro whose feeds are loaded by :meth:`preload` before :meth:`run`."""

    def preload(self) -> None:
        for data in self.datas:  # what Cerebro.run does for optdatas before handing the data to workers
            data.reset()
            data.extend(size=self.p.lookahead)
            data._start()
            data.preload()

    def runstrategies(self, iterstrat: Any, predata: bool = False) -> Any:
        return super().runstrategies(iterstrat, predata=True)


class Donchian(bt.Strategy):  # type: ignore[misc]
    params = (("period", PERIOD), ("qty", QTY), ("starts", None))

    def __init__(self) -> None:
        # The channel of the previous ``period`` bars: Highest of high(-1) ends at the bar before this one.
        self.chan = {d._name: (bt.ind.Highest(d.high(-1), period=self.p.period),
                               bt.ind.Lowest(d.low(-1), period=self.p.period)) for d in self.datas}
        self.prev = {d._name: (False, False) for d in self.datas}
        self.fills: list[Fill] = []

    def next(self) -> None:
        for d in self.datas:
            up, lo = self.chan[d._name]
            c = d.close[0]
            above, below = c > up[0], c < lo[0]
            was_above, was_below = self.prev[d._name]
            self.prev[d._name] = (above, below)
            size = self.getposition(d).size
            if above and not was_above and size <= 0:
                if size < 0:
                    self.buy(data=d, size=self.p.qty)  # close the short
                self.buy(data=d, size=self.p.qty)
            elif below and not was_below and size >= 0:
                if size > 0:
                    self.sell(data=d, size=self.p.qty)  # close the long
                self.sell(data=d, size=self.p.qty)

    def notify_order(self, order: bt.Order) -> None:
        if order.status != order.Completed:
            return
        d = order.data
        # backtrader keeps times as float days; the exact time is the start of the bar being processed,
        # which must be the bar the order executed on (checked, not assumed).
        if order.executed.dt != d.datetime[0]:
            raise RuntimeError(f"{d._name}: order executed at {order.executed.dt}, not on the current bar")
        self.fills.append([d._name, int(self.p.starts[d._name][len(d) - 1]), "BUY" if order.isbuy() else "SELL",
                           float(abs(order.executed.size)), float(order.executed.price)])


def build(arrays: Any) -> Callable[[], Callable[[], Any]]:
    symbols = arrays["symbols"].tolist()
    starts = {s: arrays[f"{s}_start_us"] for s in symbols}

    def ready() -> Callable[[], Any]:
        cerebro = PreloadedCerebro(stdstats=False)
        for s in symbols:
            df = pd.DataFrame({k: arrays[f"{s}_{k}"] for k in ("open", "high", "low", "close", "volume")},
                              index=pd.to_datetime(starts[s], unit="us"))
            cerebro.adddata(bt.feeds.PandasData(dataname=df), name=s)
        cerebro.addstrategy(Donchian, starts=starts)
        cerebro.broker.setcash(1e12)
        cerebro.broker.setcommission(commission=0.0)
        cerebro.preload()
        return lambda: cerebro.run()[0]

    return ready


if __name__ == "__main__":
    peer_main(build, lambda _: {"engine": f"backtrader {bt.__version__}, runonce, feeds preloaded"})
