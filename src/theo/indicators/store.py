"""Writing and reading indicator values (table ``indicator_values``), idempotently."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

import numpy as np

from theo.core.time import from_us
from theo.indicators.base import FloatArray, IntArray
from theo.indicators.registry import IndicatorSet


class IndicatorValue(NamedTuple):
    """One output of one indicator on the bar starting at ``ts``; ``None`` where it is undefined."""

    symbol: str
    timeframe: str
    ts: datetime
    name: str
    output: str
    value: float | None


class IndicatorValueStore(Protocol):
    """Stored indicator values, keyed by (symbol, timeframe, ts, name, output)."""

    def upsert(self, values: Sequence[IndicatorValue]) -> None:
        """Store ``values``; a value already stored under the same key is replaced."""
        ...

    def values(self, symbol: str, timeframe: str, name: str | None = None,
               since: datetime | None = None) -> Iterable[IndicatorValue]:
        """Stored values ordered by name, output and bar start."""
        ...


def _clean(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


class IndicatorWriter:
    """Buffer indicator rows and upsert them in batches (re-writing a bar replaces its values)."""

    def __init__(self, store: IndicatorValueStore, batch_size: int = 5000) -> None:
        self.store = store
        self.batch_size = batch_size
        self._rows: list[IndicatorValue] = []
        self.written = 0

    def add(self, symbol: str, timeframe: str, ts: datetime,
            records: Iterable[tuple[str, str, float | None]]) -> None:
        """Queue the ``(name, output, value)`` records of one bar starting at ``ts``."""
        for name, output, value in records:
            self._rows.append(IndicatorValue(symbol, timeframe, ts, name, output, _clean(value)))
        if len(self._rows) >= self.batch_size:
            self.flush()

    def add_set(self, iset: IndicatorSet) -> None:
        """Queue the current values of an indicator set for its last bar."""
        if iset.last_bar is None:
            return
        self.add(iset.symbol, iset.timeframe, iset.last_bar.start, iset.records())

    def add_columns(self, symbol: str, timeframe: str, start_us: IntArray,
                    columns: Mapping[tuple[str, str], FloatArray]) -> None:
        """Queue batch results: ``(name, output) -> array`` aligned to ``start_us``."""
        for i, us in enumerate(start_us.tolist()):
            ts = from_us(int(us))
            self.add(symbol, timeframe, ts, ((n, o, float(a[i])) for (n, o), a in columns.items()))

    def flush(self) -> int:
        """Write the queued rows; return how many."""
        rows, self._rows = self._rows, []
        if not rows:
            return 0
        self.store.upsert(rows)
        self.written += len(rows)
        return len(rows)


def load_values(store: IndicatorValueStore, symbol: str, timeframe: str, name: str | None = None,
                since: datetime | None = None) -> dict[tuple[str, str], tuple[list[datetime], FloatArray]]:
    """Stored values as ``(name, output) -> (bar starts, values with NaN for NULL)``, oldest first."""
    out: dict[tuple[str, str], tuple[list[datetime], list[float]]] = {}
    for v in store.values(symbol, timeframe, name, since):
        ts_list, vals = out.setdefault((v.name, v.output), ([], []))
        ts_list.append(v.ts)
        vals.append(np.nan if v.value is None else v.value)
    return {k: (t, np.asarray(v, dtype=np.float64)) for k, (t, v) in out.items()}
