"""Ticks for archive tests: a few symbols over several New York days, with shared timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from theo.core.time import from_us, to_us
from theo.persistence.archive.files import TickTuple
from theo.persistence.models.core import TickRow

START = datetime(2013, 10, 7, 8, 0, tzinfo=UTC)  # 04:00 ET, Monday


def make_ticks(n: int = 3000, days: int = 5, symbols: tuple[str, ...] = ("SPY", "IBM")) -> list[TickTuple]:
    """``n`` ticks spread over ``days`` days (04:00-20:00 ET), two prints per timestamp now and then."""
    out: list[TickTuple] = []
    per_day = n // days
    for i in range(n):
        day, k = divmod(i, per_day)
        ts = START + timedelta(days=day, seconds=(k // 2) * 16 * 3600 // (per_day // 2))
        sym = symbols[i % len(symbols)]
        out.append((sym, to_us(ts), (i // len(symbols)) % 2, 100.0 + (i % 97) * 0.01 + 0.005,
                    float(100 * (1 + i % 7)), "PQZ"[i % 3], "" if i % 4 else "1", "seed",
                    None if i % 5 else to_us(ts) + 1500))
    # Unique keys: (symbol, ts, seq) may repeat by construction; keep the first of each.
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for r in out:
        if (r[0], r[1], r[2]) not in seen:
            seen.add((r[0], r[1], r[2]))
            unique.append(r)
    return unique


def insert_ticks(engine: Engine, rows: list[TickTuple]) -> None:
    with engine.begin() as conn:
        conn.execute(TickRow.__table__.insert(), [
            {"symbol": r[0], "ts": from_us(r[1]), "seq": r[2], "price": r[3], "size": r[4], "exchange": r[5],
             "condition": r[6], "source": r[7], "received": None if r[8] is None else from_us(r[8])}
            for r in rows])


def db_ticks(engine: Engine) -> list[TickTuple]:
    t = TickRow.__table__.c
    with engine.connect() as conn:
        res = conn.execute(select(t.symbol, t.ts, t.seq, t.price, t.size, t.exchange, t.condition, t.source,
                                  t.received))
        return [(r[0], to_us(r[1]), r[2], r[3], r[4], r[5], r[6], r[7],
                 None if r[8] is None else to_us(r[8])) for r in res]
