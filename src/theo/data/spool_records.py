"""What the recorder writes, as spool payloads: tick batches, bars, quarantined input and feed events.

A tick batch is kept exactly as the recorder handed it to the store (same ticks, same order), because the
store numbers same-timestamp prints (``seq``) within one batch: replaying the identical batch gives every
tick the key (symbol, ts, seq) it would have had, so a batch the database already took adds nothing.

Payload of a tick batch: a u32 length and a JSON header (symbol, source, count, exchange and condition
codes), then the timestamps (int64 µs), prices and sizes (float64) as little-endian arrays, exact to the
bit. The other kinds are JSON.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

import numpy as np

from theo.data.files import TickColumns
from theo.data.quarantine import QuarantineItem
from theo.model.enums import SessionKind
from theo.model.market import Bar


class RecordKind(IntEnum):
    TICKS = 1
    BARS = 2
    QUARANTINE = 3
    FEED_EVENT = 4


@dataclass(frozen=True, slots=True)
class FeedEventRecord:
    """The arguments of one ``write_feed_event`` call."""

    ts: datetime
    kind: str
    symbol: str
    source: str
    since: datetime | None
    detail: str


def encode_ticks(cols: TickColumns, source: str) -> bytes:
    head = json.dumps({"symbol": cols.symbol, "source": source, "n": len(cols),
                       "exchange": [str(x) for x in cols.exchange.tolist()],
                       "condition": [str(x) for x in cols.condition.tolist()]}, separators=(",", ":")).encode()
    return b"".join((struct.pack("<I", len(head)), head, cols.ts_us.astype("<i8").tobytes(),
                     cols.price.astype("<f8").tobytes(), cols.size.astype("<f8").tobytes()))


def decode_ticks(payload: bytes) -> tuple[TickColumns, str]:
    (hlen,) = struct.unpack_from("<I", payload)
    head = json.loads(payload[4:4 + hlen])
    n = int(head["n"])
    at = 4 + hlen
    ts = np.frombuffer(payload, "<i8", n, at).astype(np.int64)
    price = np.frombuffer(payload, "<f8", n, at + 8 * n).astype(np.float64)
    size = np.frombuffer(payload, "<f8", n, at + 16 * n).astype(np.float64)
    cols = TickColumns(head["symbol"], ts, price, size, np.array(head["exchange"], dtype=object),
                       np.array(head["condition"], dtype=object), np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64))
    return cols, str(head["source"])


def encode_bars(bars: Sequence[Bar], source: str) -> bytes:
    rows = [{"symbol": b.symbol, "timeframe": b.timeframe, "start": b.start.isoformat(), "end": b.end.isoformat(),
             "ohlcv": [b.open, b.high, b.low, b.close, b.volume], "tick_count": b.tick_count,
             "session": b.session.value, "source": b.source, "flags": sorted(b.flags)} for b in bars]
    return json.dumps({"source": source, "bars": rows}).encode()


def decode_bars(payload: bytes) -> tuple[list[Bar], str]:
    data = json.loads(payload)
    bars = []
    for r in data["bars"]:
        o, h, lo, c, v = (float(x) for x in r["ohlcv"])
        bars.append(Bar(r["symbol"], r["timeframe"], datetime.fromisoformat(r["start"]),
                        datetime.fromisoformat(r["end"]), o, h, lo, c, v, int(r["tick_count"]),
                        SessionKind(r["session"]), r["source"], frozenset(r["flags"])))
    return bars, str(data["source"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def encode_quarantine(items: Sequence[QuarantineItem]) -> bytes:
    rows: list[dict[str, Any]] = [
        {"kind": i.kind, "source": i.source, "reason": i.reason, "symbol": i.symbol, "line": i.line,
         "column": i.column, "value": i.value, "detail": i.detail, "ts": _iso(i.ts), "raw": i.raw} for i in items]
    return json.dumps(rows).encode()


def decode_quarantine(payload: bytes) -> list[QuarantineItem]:
    return [QuarantineItem(r["kind"], r["source"], r["reason"], r["symbol"], r["line"], r["column"], r["value"],
                           r["detail"], _dt(r["ts"]), r["raw"]) for r in json.loads(payload)]


def encode_feed_event(event: FeedEventRecord) -> bytes:
    return json.dumps({"ts": event.ts.isoformat(), "kind": event.kind, "symbol": event.symbol,
                       "source": event.source, "since": _iso(event.since), "detail": event.detail}).encode()


def decode_feed_event(payload: bytes) -> FeedEventRecord:
    r = json.loads(payload)
    ts = _dt(r["ts"])
    assert ts is not None
    return FeedEventRecord(ts, r["kind"], r["symbol"], r["source"], _dt(r["since"]), r["detail"])
