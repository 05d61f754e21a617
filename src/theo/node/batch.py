"""The batch path of ``theo backtest``: when the whole data set is known, compute each strategy's signals
over whole NumPy series (causal batch forms, as columns), then walk only the signals that can change
something.

A signal that provably changes nothing (an exit while flat, an entry while a position stays open) is
recorded as ignored without building an object. Every other signal goes through the same
:meth:`Engine.route` and :class:`SymbolBook` code as the streaming path, and books jump straight to the
items where fills and stop/target crossings happen, so both paths give the same signals, orders, fills and
trades (``tests/integration/node/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from theo.model.enums import Side
from theo.model.series import KIND_RANK, BarSeries, SignalTable
from theo.node.book import SymbolBook
from theo.node.kernel import Engine
from theo.node.records import SignalRecord
from theo.node.resample import resample
from theo.strategy.base import Strategy

_END = int(np.iinfo(np.int64).max)
_HELD = {2: Side.BUY, 3: Side.SELL}  # the position an exit of each kind closes
EXIT_NOTE = "no matching open position"
ENTRY_NOTE = "position already open or entry working"


def has_batch_form(strategy: Strategy) -> bool:
    return callable(getattr(strategy, "signal_tables", None))


def _open_through(book: SymbolBook, t_us: int) -> bool:
    """True when the book holds a position, no working order, and its stop/target trades only at or after t."""
    if book.position is None or book.pending:
        return False
    s = book.series
    assert s is not None
    j = book._exit_idx
    return j >= len(s) or int(s.start_us[j]) >= t_us


def run_batch(engine: Engine, series: dict[str, BarSeries],
              progress: Callable[[int], None] | None = None) -> None:
    """Run every strategy over ``series`` (execution items per symbol) on the batch path."""
    tables: list[tuple[int, SignalTable]] = []
    for idx, strategy in enumerate(engine.strategies):
        frames: dict[str, BarSeries] = {}
        for symbol, tf in strategy.subscriptions:
            engine.symbol_index(symbol)
            if symbol in series:
                frames[symbol] = resample(series[symbol], tf)
            engine.book(strategy, symbol, series.get(symbol))
        tables.extend((idx, t) for t in strategy.signal_tables(frames))  # type: ignore[attr-defined]
    books = [engine.book(engine.strategies[idx], t.symbol) for idx, t in tables]
    ts = np.concatenate([t.ts_us for _, t in tables]) if tables else np.zeros(0, dtype=np.int64)
    kind = np.concatenate([t.kind for _, t in tables]) if tables else np.zeros(0, dtype=np.int8)
    which = np.concatenate([np.full(t.ts_us.shape[0], n) for n, (_, t) in enumerate(tables)]) if tables \
        else np.zeros(0, dtype=np.int64)
    row = np.concatenate([np.arange(t.ts_us.shape[0]) for _, t in tables]) if tables else np.zeros(0, dtype=np.int64)
    sym = np.array([engine.symbol_index(t.symbol) for _, t in tables], dtype=np.int64)[which] if tables else which
    strat = np.array([idx for idx, _ in tables], dtype=np.int64)[which] if tables else which
    # The order of Engine.sort_key: time, symbol, strategy, then the strategy's own order within a bar.
    order = np.lexsort((KIND_RANK[kind] if kind.size else kind, strat, sym, ts))
    ts_l, kind_l, which_l, row_l = ts[order].tolist(), kind[order].tolist(), which[order].tolist(), row[order].tolist()
    acted: dict[int, SignalRecord] = {}
    live = [b for b in dict.fromkeys(books)]
    step = max(1, len(ts_l) // 100)
    for n in range(len(ts_l)):
        t, k, book = ts_l[n], kind_l[n], books[which_l[n]]
        if k >= 2:
            pos = book.position
            if not book.pending and (pos is None or pos.side is not _HELD[k]):
                continue  # exit while flat or holding the other side (nothing working can change that)
        elif _open_through(book, t):
            continue  # entry while a position stays open: ignored
        if k < 2:
            # An entry is checked against the open notional of all books: bring them to this instant.
            for b in live:
                if b.pending or b.position is not None:
                    b.advance_to(t)
        else:
            book.advance_to(t)
        idx, table = tables[which_l[n]]
        engine.route(idx, table.make(row_l[n]))
        acted[n] = engine.journal.signals[-1]
        if progress is not None and n % step == 0:
            progress(n)
    for book in live:
        book.advance_to(_END)

    def all_signals() -> list[SignalRecord]:
        out: list[SignalRecord] = []
        for n in range(len(ts_l)):
            rec = acted.get(n)
            if rec is None:
                _, table = tables[which_l[n]]
                rec = SignalRecord(table.make(row_l[n]), "CANCELLED", EXIT_NOTE if kind_l[n] >= 2 else ENTRY_NOTE)
            out.append(rec)
        return out

    engine.journal.signal_source = all_signals
    engine.journal.signal_total = len(ts_l)
