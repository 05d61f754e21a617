"""The queries the archive runs on the ``ticks`` table (portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Connection, Table, bindparam, delete, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.core.time import from_us, to_us
from theo.persistence.archive.files import TickTuple
from theo.persistence.models.core import TickRow

TICKS: Table = TickRow.__table__  # type: ignore[assignment]
_BATCH = 5_000


def first_ts(conn: Connection, *, at_or_after: datetime | None, before: datetime) -> datetime | None:
    """The oldest tick time in ``[at_or_after, before)``."""
    q = select(func.min(TICKS.c.ts)).where(TICKS.c.ts < before)
    if at_or_after is not None:
        q = q.where(TICKS.c.ts >= at_or_after)
    value = conn.execute(q).scalar()
    return value if isinstance(value, datetime) or value is None else from_us(int(value))


def count_before(conn: Connection, before: datetime) -> int:
    """Ticks older than ``before`` (what an archive run has to move)."""
    return int(conn.execute(select(func.count()).select_from(TICKS).where(TICKS.c.ts < before)).scalar_one())


def symbols_between(conn: Connection, lo: datetime, hi: datetime) -> list[str]:
    q = select(TICKS.c.symbol).where(TICKS.c.ts >= lo, TICKS.c.ts < hi).distinct().order_by(TICKS.c.symbol)
    return [str(s) for s in conn.execute(q).scalars()]


def _raw_micros(conn: Connection) -> bool:
    """SQLite stores UTC microseconds: reading and binding them as integers skips a datetime per row."""
    return conn.dialect.name == "sqlite"


def select_rows(conn: Connection, symbol: str, lo: datetime, hi: datetime, *,
                inclusive: bool = False, for_update: bool = False) -> list[TickTuple]:
    """Ticks of ``symbol`` in ``[lo, hi)`` (``[lo, hi]`` when ``inclusive``) in (ts, seq) order.

    ``for_update`` locks the rows until the transaction ends (PostgreSQL; SQLite has one writer anyway),
    so rows compared with an archive file cannot change before they are deleted.
    """
    c = TICKS.c
    upper = c.ts <= hi if inclusive else c.ts < hi
    raw = _raw_micros(conn)
    ts_col = type_coerce(c.ts, BigInteger()) if raw else c.ts
    rec_col = type_coerce(c.received, BigInteger()) if raw else c.received
    q = (select(c.symbol, ts_col, c.seq, c.price, c.size, c.exchange, c.condition, c.source, rec_col)
         .where(c.symbol == symbol, c.ts >= lo, upper).order_by(c.ts, c.seq))
    if for_update:
        q = q.with_for_update()
    if raw:
        return [(r[0], int(r[1]), int(r[2]), float(r[3]), float(r[4]), r[5] or "", r[6] or "", r[7] or "",
                 None if r[8] is None else int(r[8])) for r in conn.execute(q)]
    return [(r[0], to_us(r[1]), int(r[2]), float(r[3]), float(r[4]), r[5] or "", r[6] or "", r[7] or "",
             None if r[8] is None else to_us(r[8])) for r in conn.execute(q)]


def delete_rows(conn: Connection, rows: Sequence[TickTuple]) -> None:
    """Delete exactly these ticks by primary key; raise if any of them was not there."""
    deleted = 0
    if _raw_micros(conn):
        # SQLite: the driver's executemany on integer keys, without per-row parameter processing.
        for i in range(0, len(rows), _BATCH):
            result = conn.exec_driver_sql("DELETE FROM ticks WHERE symbol = ? AND ts = ? AND seq = ?",
                                          [(r[0], r[1], r[2]) for r in rows[i:i + _BATCH]])
            deleted += result.rowcount
    else:
        c = TICKS.c
        stmt = delete(TICKS).where(c.symbol == bindparam("k_symbol"), c.ts == bindparam("k_ts"),
                                   c.seq == bindparam("k_seq"))
        for i in range(0, len(rows), _BATCH):
            chunk = [{"k_symbol": r[0], "k_ts": from_us(r[1]), "k_seq": r[2]} for r in rows[i:i + _BATCH]]
            result = conn.execute(stmt, chunk)
            deleted += result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(chunk)
    if deleted != len(rows):
        raise StorageError(f"expected to delete {len(rows)} archived ticks but {deleted} matched; nothing deleted")


def insert_missing(conn: Connection, rows: Sequence[TickTuple]) -> None:
    """Insert ticks, leaving alone any whose primary key is already present (restore is idempotent)."""
    dialect = conn.dialect.name
    ins = sqlite.insert(TICKS) if dialect == "sqlite" else postgresql.insert(TICKS)
    stmt = ins.on_conflict_do_nothing(index_elements=["symbol", "ts", "seq"])
    for i in range(0, len(rows), _BATCH):
        conn.execute(stmt, [
            {"symbol": r[0], "ts": from_us(r[1]), "seq": r[2], "price": r[3], "size": r[4], "exchange": r[5],
             "condition": r[6], "source": r[7], "received": None if r[8] is None else from_us(r[8])}
            for r in rows[i:i + _BATCH]])


def count_between(conn: Connection, symbol: str, lo: datetime, hi: datetime) -> int:
    c = TICKS.c
    return int(conn.execute(select(func.count()).select_from(TICKS)
                            .where(c.symbol == symbol, c.ts >= lo, c.ts <= hi)).scalar_one())
