"""The batch path of ``theo backtest``: when the whole data set is known, compute each strategy's signals
over whole NumPy series (causal batch forms), then walk only the instants where something happens.

Between two signals a book with no working order and no protective stop has nothing to do; with a stop or
target it searches the next crossing vectorially (:meth:`SymbolBook.advance_to`). Every fill, stop and
trade still goes through the same :class:`SymbolBook` code the streaming path uses, so both paths give the
same orders, fills and trades (``tests/integration/engine/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from theo.engine.kernel import Engine
from theo.engine.resample import resample
from theo.engine.series import BarSeries, to_us
from theo.strategy.base import Signal, Strategy

_END = int(np.iinfo(np.int64).max)


class BatchStrategy(Protocol):
    def batch_signals(self, series: dict[str, BarSeries]) -> list[Signal]: ...


def has_batch_form(strategy: Strategy) -> bool:
    return callable(getattr(strategy, "batch_signals", None))


def run_batch(engine: Engine, series: dict[str, BarSeries],
              progress: Callable[[int], None] | None = None) -> None:
    """Run every strategy over ``series`` (execution items per symbol) on the batch path."""
    signals: list[tuple[int, Signal]] = []
    for idx, strategy in enumerate(engine.strategies):
        frames: dict[str, BarSeries] = {}
        for symbol, tf in strategy.subscriptions:
            engine.symbol_index(symbol)
            if symbol in series:
                frames[symbol] = resample(series[symbol], tf)
            engine.book(strategy, symbol, series.get(symbol))
        batch: BatchStrategy = strategy  # type: ignore[assignment]
        signals.extend((idx, sig) for sig in batch.batch_signals(frames))
    signals.sort(key=engine.sort_key)
    books = list(engine.books.values())
    step = max(1, len(signals) // 100)
    for n, (idx, sig) in enumerate(signals):
        t = to_us(sig.ts)
        if not sig.exit:
            # An entry is checked against the open notional of all books: bring them to this instant.
            for book in books:
                if book.pending or book.position is not None:
                    book.advance_to(t)
        engine.book(engine.strategies[idx], sig.symbol).advance_to(t)
        engine.route(idx, sig)
        if progress is not None and n % step == 0:
            progress(n)
    for book in books:
        book.advance_to(_END)
