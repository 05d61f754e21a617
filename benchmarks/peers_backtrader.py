"""The Donchian breakout of theo.strategy.library.donchian written for backtrader (run by benchmarks/peers.py in the
peers' virtualenv). Orders are market orders filled at the next bar's open, no charges, 100 shares."""

from __future__ import annotations

import json
import sys
import time

import backtrader as bt
import numpy as np
import pandas as pd


class Donchian(bt.Strategy):  # type: ignore[misc]
    params = (("entry", 20), ("exit", 10), ("qty", 100))

    def __init__(self) -> None:
        self.ind = {}
        self.prev = {}
        for d in self.datas:
            self.ind[d._name] = (bt.ind.Highest(d.high(-1), period=self.p.entry),
                                 bt.ind.Lowest(d.low(-1), period=self.p.entry),
                                 bt.ind.Lowest(d.low(-1), period=self.p.exit),
                                 bt.ind.Highest(d.high(-1), period=self.p.exit))
            self.prev[d._name] = [False] * 4
        self.fills: list[list[object]] = []

    def next(self) -> None:
        for d in self.datas:
            up_n, lo_n, lo_m, up_m = (float(x[0]) for x in self.ind[d._name])
            c = d.close[0]
            conds = [c > up_n, c < lo_n, c < lo_m, c > up_m]
            fired = [a and not b for a, b in zip(conds, self.prev[d._name], strict=True)]
            self.prev[d._name] = conds
            size = self.getposition(d).size
            closing = False
            if (fired[2] and size > 0) or (fired[3] and size < 0):
                self.close(data=d)
                closing = True
            if size == 0 or closing:
                if fired[0]:
                    self.buy(data=d, size=self.p.qty)
                elif fired[1]:
                    self.sell(data=d, size=self.p.qty)

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Completed:
            when = bt.num2date(order.executed.dt)
            self.fills.append([order.data._name, int(pd.Timestamp(when, tz="UTC").value // 1000),
                               "BUY" if order.isbuy() else "SELL", round(order.executed.price, 2)])


def main(path: str, entry: int, exit_: int) -> None:
    arrays = np.load(path)
    cerebro = bt.Cerebro(stdstats=False)
    for name in arrays["symbols"].tolist():
        df = pd.DataFrame({k: arrays[f"{name}_{k}"] for k in ("open", "high", "low", "close", "volume")},
                          index=pd.to_datetime(arrays[f"{name}_start_us"], unit="us"))
        cerebro.adddata(bt.feeds.PandasData(dataname=df), name=name)
    cerebro.addstrategy(Donchian, entry=entry, exit=exit_)
    cerebro.broker.setcash(1e9)
    cerebro.broker.setcommission(commission=0.0)
    t0 = time.perf_counter()
    strat = cerebro.run()[0]
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "fills": strat.fills}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
