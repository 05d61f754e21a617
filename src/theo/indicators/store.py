"""Writing and reading indicator values (table ``indicator_values``), idempotently."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.indicators.base import FloatArray, IntArray
from theo.indicators.registry import IndicatorSet
from theo.persistence.db import transaction
from theo.persistence.models.indicators import IndicatorValueRow
from theo.persistence.types import from_micros

_KEY = ["symbol", "timeframe", "ts", "name", "output"]


def _clean(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


class IndicatorWriter:
    """Buffer indicator rows and upsert them in batches (re-writing a bar replaces its values)."""

    def __init__(self, engine: Engine, batch_size: int = 5000) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(f"indicator values need SQLite or PostgreSQL, not {engine.dialect.name}")
        self.engine = engine
        self.batch_size = batch_size
        self._rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, symbol: str, timeframe: str, ts: datetime,
            records: Iterable[tuple[str, str, float | None]]) -> None:
        """Queue the ``(name, output, value)`` records of one bar starting at ``ts``."""
        for name, output, value in records:
            self._rows.append({"symbol": symbol, "timeframe": timeframe, "ts": ts, "name": name,
                               "output": output, "value": _clean(value)})
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
            ts = from_micros(int(us))
            self.add(symbol, timeframe, ts, ((n, o, float(a[i])) for (n, o), a in columns.items()))

    def flush(self) -> int:
        """Write the queued rows; return how many."""
        rows, self._rows = self._rows, []
        if not rows:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(IndicatorValueRow)
        stmt = stmt.on_conflict_do_update(index_elements=_KEY, set_={"value": stmt.excluded.value})
        with transaction(self.engine) as session:
            session.execute(stmt, rows)
        self.written += len(rows)
        return len(rows)


def load_values(engine: Engine, symbol: str, timeframe: str, name: str | None = None,
                since: datetime | None = None) -> dict[tuple[str, str], tuple[list[datetime], FloatArray]]:
    """Stored values as ``(name, output) -> (bar starts, values with NaN for NULL)``, oldest first."""
    q = select(IndicatorValueRow).where(IndicatorValueRow.symbol == symbol,
                                        IndicatorValueRow.timeframe == timeframe)
    if name is not None:
        q = q.where(IndicatorValueRow.name == name)
    if since is not None:
        q = q.where(IndicatorValueRow.ts >= since)
    q = q.order_by(IndicatorValueRow.name, IndicatorValueRow.output, IndicatorValueRow.ts)
    out: dict[tuple[str, str], tuple[list[datetime], list[float]]] = {}
    with transaction(engine) as session:
        for row in session.scalars(q):
            ts_list, vals = out.setdefault((row.name, row.output), ([], []))
            ts_list.append(row.ts)
            vals.append(np.nan if row.value is None else row.value)
    return {k: (t, np.asarray(v, dtype=np.float64)) for k, (t, v) in out.items()}
