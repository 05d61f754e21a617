"""Batched, idempotent writers for ticks and bars.

SQLite: ``INSERT OR IGNORE`` with ``executemany``, one transaction per batch. PostgreSQL: binary ``COPY``
(psycopg 3) straight into ``ticks`` when no stored tick of the symbol overlaps the batch's time range;
otherwise ``COPY`` into a temporary staging table and ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``.
Either way the primary key (symbol, ts, seq) makes a re-import add nothing.

Bars written as :class:`Bar` records (the recorder's) also correct the stored higher-timeframe bars that hold a
backfilled minute (:func:`correct_backfilled`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import DataError
from theo.core.logging import get_logger
from theo.core.time import from_us
from theo.data.bars.rollup import roll_minutes, rolls_from_minutes
from theo.data.failover.backfill import BACKFILL_FLAG
from theo.data.files import BarColumns, TickColumns
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence.models.core import BarRow
from theo.persistence.pgcopy import PAYLOAD_COLUMNS, PG_EPOCH_US, tick_payload

BATCH = 200_000
TICK_COLUMNS = ("symbol", "ts", "seq", "price", "size", "exchange", "condition", "source")
#: Row-by-row fallback: timestamptz sent as int8 (microseconds since 2000-01-01 UTC, the binary wire
#: form), which spares building a million datetime objects.
COPY_TYPES = ["text", "int8", "int4", "float8", "float8", "text", "text", "text"]
#: The timeframe of the bars the collector rolls up (and of backfilled minutes).
MINUTE = "1m"
#: No bar rolled up from minutes is longer than this (``1d`` is one regular session).
_LONGEST = timedelta(days=1)

log = get_logger("theo.persistence.writer")


@dataclass(frozen=True)
class WriteStats:
    """Rows written, rows that were already stored (re-import), and stored higher-timeframe bars corrected
    for backfilled minutes (:func:`correct_backfilled`)."""

    inserted: int
    skipped_existing: int
    corrected: int = 0


def tick_seq(ts_us: np.ndarray) -> np.ndarray:
    """Ordinal of each tick among the ticks with the same timestamp, in input order."""
    n = ts_us.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(ts_us, kind="stable")
    sorted_ts = ts_us[order]
    starts = np.concatenate(([True], sorted_ts[1:] != sorted_ts[:-1]))
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(n) - group_start
    return seq


def check_ticks(cols: TickColumns) -> None:
    """Refuse columns that did not pass the quality checks (the importer filters them first)."""
    n = len(cols)
    for name in ("price", "size", "exchange", "condition", "line"):
        if getattr(cols, name).shape[0] != n:
            raise DataError(f"tick column {name} has {getattr(cols, name).shape[0]} values, expected {n}")
    bad = ~np.isfinite(cols.price) | (cols.price <= 0) | ~np.isfinite(cols.size) | (cols.size < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"tick on line {int(cols.line[i])} has price {cols.price[i]} and size {cols.size[i]}; "
                        "filter rejected rows before writing")


def _tick_rows(cols: TickColumns, source: str, lo: int, hi: int, seq: np.ndarray, *,
               pg: bool) -> Iterator[tuple[Any, ...]]:
    ts = cols.ts_us[lo:hi] - PG_EPOCH_US if pg else cols.ts_us[lo:hi]
    return zip(repeat(cols.symbol), ts.tolist(), seq[lo:hi].tolist(), cols.price[lo:hi].tolist(),
               cols.size[lo:hi].tolist(), cols.exchange[lo:hi].tolist(), cols.condition[lo:hi].tolist(),
               repeat(source), strict=False)


def write_ticks(engine: Engine, cols: TickColumns, source: str, *, batch: int = BATCH,
                progress: Callable[[int], None] | None = None) -> WriteStats:
    """Store ticks idempotently; ``seq`` numbers ticks sharing a timestamp in input order.

    ``progress`` is called with the number of ticks written so far after each batch.
    """
    check_ticks(cols)
    n = len(cols)
    if n == 0:
        return WriteStats(0, 0)
    seq = tick_seq(cols.ts_us)
    if engine.dialect.name == "postgresql":
        inserted = _pg_ticks(engine, cols, source, seq, batch, progress)
    else:
        inserted = _sqlite_ticks(engine, cols, source, seq, batch, progress)
    return WriteStats(inserted, n - inserted)


_SQLITE_INSERT = (f"INSERT OR IGNORE INTO ticks ({', '.join(TICK_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(TICK_COLUMNS))})")


def _sqlite_ticks(engine: Engine, cols: TickColumns, source: str, seq: np.ndarray, batch: int,
                  progress: Callable[[int], None] | None = None) -> int:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        before = conn.total_changes
        for lo in range(0, len(cols), batch):
            cur = conn.cursor()
            cur.executemany(_SQLITE_INSERT, _tick_rows(cols, source, lo, lo + batch, seq, pg=False))
            conn.commit()
            if progress is not None:
                progress(min(lo + batch, len(cols)))
        return int(conn.total_changes - before)
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()


def _pg_ticks(engine: Engine, cols: TickColumns, source: str, seq: np.ndarray, batch: int,
              progress: Callable[[int], None] | None = None) -> int:
    raw = engine.raw_connection()
    names = ", ".join(TICK_COLUMNS)
    try:
        conn = raw.driver_connection
        assert conn is not None
        with conn.cursor() as cur:
            # Checked once for the whole call: batches of one call never collide with each other, since
            # (ts, seq) is unique within the columns, but a batch boundary may split one timestamp.
            cur.execute("SELECT 1 FROM ticks WHERE symbol = %s AND ts BETWEEN %s AND %s LIMIT 1",
                        (cols.symbol, from_us(int(cols.ts_us.min())), from_us(int(cols.ts_us.max()))))
            overlap = cur.fetchone() is not None
        inserted = 0
        for lo in range(0, len(cols), batch):
            hi = min(lo + batch, len(cols))
            with conn.cursor() as cur:
                target = "ticks"
                if overlap:
                    cur.execute("CREATE TEMP TABLE IF NOT EXISTS ticks_stage "
                                "(LIKE ticks INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                    target = "ticks_stage"
                payload = tick_payload(cols.symbol, cols.ts_us[lo:hi], seq[lo:hi], cols.price[lo:hi],
                                       cols.size[lo:hi], cols.exchange[lo:hi], cols.condition[lo:hi], source)
                if payload is not None:
                    with cur.copy(f"COPY {target} ({', '.join(PAYLOAD_COLUMNS)}) FROM STDIN (FORMAT BINARY)") \
                            as copy:
                        copy.write(payload)
                else:  # non-ASCII text: let psycopg encode row by row
                    with cur.copy(f"COPY {target} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                        copy.set_types(COPY_TYPES)
                        for row in _tick_rows(cols, source, lo, hi, seq, pg=True):
                            copy.write_row(row)
                if overlap:
                    cur.execute(f"INSERT INTO ticks ({names}) SELECT {names} FROM ticks_stage "
                                "ON CONFLICT DO NOTHING")
                    inserted += max(cur.rowcount, 0)
                else:
                    inserted += hi - lo
            if progress is not None:
                progress(hi)
            conn.commit()
        return inserted
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()


def _bar_dicts(bars: BarColumns | Sequence[Bar], source: str) -> list[dict[str, Any]]:
    if isinstance(bars, BarColumns):
        return [
            {"symbol": bars.symbol, "timeframe": bars.timeframe, "start": from_us(s), "end": from_us(e),
             "open": o, "high": h, "low": lo, "close": c, "volume": v, "tick_count": 0, "session": k,
             "source": source, "flags": ""}
            for s, e, o, h, lo, c, v, k in zip(
                bars.start_us.tolist(), bars.end_us().tolist(), bars.open.tolist(), bars.high.tolist(),
                bars.low.tolist(), bars.close.tolist(), bars.volume.tolist(), bars.sessions().tolist(),
                strict=True)
        ]
    return [
        {"symbol": b.symbol, "timeframe": b.timeframe, "start": b.start, "end": b.end, "open": b.open,
         "high": b.high, "low": b.low, "close": b.close, "volume": b.volume, "tick_count": b.tick_count,
         "session": str(b.session), "source": b.source or source, "flags": ",".join(sorted(b.flags))}
        for b in bars
    ]


def write_bars(engine: Engine, bars: BarColumns | Sequence[Bar], source: str) -> WriteStats:
    """Store bars idempotently: a bar already stored for its symbol, timeframe and start is kept, unless it
    is empty (closed by the clock without a trade) and the new one has trades, as a backfilled minute does.
    :class:`Bar` records then go through :func:`correct_backfilled` in the same transaction."""
    rows = _bar_dicts(bars, source)
    if not rows:
        return WriteStats(0, 0)
    for r in rows:
        if r["start"].tzinfo is None:
            raise DataError(f"bar {r['symbol']} {r['timeframe']} has a naive start {r['start']}")
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(BarRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["symbol", "timeframe", "start"],
        set_={c: stmt.excluded[c] for c in ("end", "open", "high", "low", "close", "volume", "tick_count", "session",
                                            "source", "flags")},
        where=(BarRow.tick_count == 0) & (BarRow.volume == 0) & (stmt.excluded.tick_count > 0))
    count = select(func.count()).select_from(BarRow)
    with engine.begin() as conn:
        before = conn.execute(count).scalar_one()
        for lo in range(0, len(rows), 10_000):
            conn.execute(stmt, rows[lo:lo + 10_000])
        inserted = int(conn.execute(count).scalar_one() - before)
        corrected = 0 if isinstance(bars, BarColumns) else correct_backfilled(conn, bars)
    return WriteStats(inserted, len(rows) - inserted, corrected)


def correct_backfilled(conn: Connection, bars: Sequence[Bar]) -> int:
    """Rebuild the stored higher-timeframe bars that hold a backfilled minute; return how many changed.

    A minute both feeds missed is closed by the aggregator as an empty ``no_ticks`` bar and rolled into its
    5m ... 1d bars; the 1-minute bar backfilled later replaces the empty one (:func:`write_bars`) but not
    the bars it was rolled into. For each symbol of ``bars``, the backfilled minutes looked at are the stored
    1-minute bars flagged ``backfill`` among the written 1-minute bars and inside the spans of the written
    higher-timeframe bars (which may close after the backfill arrived). Every stored bar of a timeframe built
    from minutes (:func:`~theo.data.bars.rollup.rolls_from_minutes`) whose span holds one is rebuilt from the
    stored 1-minute bars of its span (:func:`~theo.data.bars.rollup.roll_minutes`, the aggregator's rules)
    and replaced when it differs: OHLC, volume, tick count, flags (``backfill`` added) and source (the feed of
    most of its minutes with trades). A bar whose tick count the stored minutes without a backfill do not
    add up to (its minutes are not all stored) is left as it is and logged. Writing the same backfill again
    changes nothing; no bar holding no backfilled minute is written.
    """
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    for b in bars:
        if (BACKFILL_FLAG in b.flags and b.timeframe == MINUTE) or (b.timeframe != MINUTE and rolls_from_minutes(
                b.timeframe)):
            spans.setdefault(b.symbol, []).append((b.start, b.end))
    return sum(_correct_symbol(conn, symbol, ranges) for symbol, ranges in spans.items())


_C = BarRow.__table__.c
_BAR_COLUMNS = (_C.symbol, _C.timeframe, _C.start, _C.end, _C.open, _C.high, _C.low, _C.close, _C.volume,
                _C.tick_count, _C.session, _C.source, _C.flags)


def _stored(conn: Connection, symbol: str, timeframe: str, lo: datetime, hi: datetime, *,
            backfilled: bool = False) -> list[Bar]:
    """Stored bars of ``symbol`` and ``timeframe`` starting in ``[lo, hi)``, oldest first."""
    q = select(*_BAR_COLUMNS).where(_C.symbol == symbol, _C.timeframe == timeframe, _C.start >= lo, _C.start < hi)
    if backfilled:
        q = q.where(_C.flags.like(f"%{BACKFILL_FLAG}%"))
    return [Bar(r.symbol, r.timeframe, r.start, r.end, r.open, r.high, r.low, r.close, r.volume, r.tick_count,
                SessionKind(r.session), r.source, frozenset(f for f in r.flags.split(",") if f))
            for r in conn.execute(q.order_by(_C.start))]


def _timeframes(conn: Connection, symbol: str) -> list[str]:
    """The timeframes stored for ``symbol``: one index seek each (a ``DISTINCT`` would read every bar)."""
    out: list[str] = []
    while True:
        q = select(func.min(_C.timeframe)).where(_C.symbol == symbol)
        if out:
            q = q.where(_C.timeframe > out[-1])
        found = conn.execute(q).scalar()
        if found is None:
            return out
        out.append(found)


def _correct_symbol(conn: Connection, symbol: str, ranges: list[tuple[datetime, datetime]]) -> int:
    lo, hi = min(a for a, _ in ranges), max(b for _, b in ranges)
    filled = [m.start for m in _stored(conn, symbol, MINUTE, lo, hi, backfilled=True)
              if BACKFILL_FLAG in m.flags and any(a <= m.start < b for a, b in ranges)]
    if not filled:
        return 0
    first, last = filled[0], filled[-1]
    targets = [t for tf in _timeframes(conn, symbol) if tf != MINUTE and rolls_from_minutes(tf)
               for t in _stored(conn, symbol, tf, first - _LONGEST, last + _LONGEST)
               if any(t.start <= m < t.end for m in filled)]
    if not targets:
        return 0
    minutes = _stored(conn, symbol, MINUTE, min(t.start for t in targets), max(t.end for t in targets))
    changed = 0
    for old in targets:
        inside = [m for m in minutes if old.start <= m.start < old.end]
        new = roll_minutes(symbol, inside, old.timeframe, old.start, old.end, old.session,
                           carry=frozenset({BACKFILL_FLAG}))
        if new is None:
            continue
        new = replace(new, source=new.source or old.source)
        if new == old:
            continue
        built = sum(m.tick_count for m in inside if BACKFILL_FLAG not in m.flags)
        if built != old.tick_count:
            log.warning("bars.backfill_not_rolled", symbol=symbol, timeframe=old.timeframe,
                        start=old.start.isoformat(), stored_ticks=old.tick_count, minute_ticks=built,
                        note="the stored 1-minute bars do not add up to this bar; it is left as it is")
            continue
        conn.execute(update(BarRow).where(_C.symbol == symbol, _C.timeframe == old.timeframe, _C.start == old.start)
                     .values(open=new.open, high=new.high, low=new.low, close=new.close, volume=new.volume,
                             tick_count=new.tick_count, source=new.source,
                             flags=",".join(sorted(new.flags))))
        changed += 1
    if changed:
        log.info("bars.backfill_rolled", symbol=symbol, corrected=changed, backfilled_minutes=len(filled))
    return changed


__all__ = ["WriteStats", "check_ticks", "correct_backfilled", "tick_seq", "write_bars", "write_ticks"]
