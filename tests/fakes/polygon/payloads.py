"""Event payloads as Polygon sends them (field names of the official stocks WebSocket spec, §2.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime (Polygon's ``t``, ``s``, ``e``)."""
    return round(ts.timestamp() * 1000)


def trade(sym: str, ts: datetime, price: float, size: int, *, seq: int, trade_id: str = "", exchange: int = 12,
          conditions: list[int] | None = None, tape: int = 3) -> dict[str, Any]:
    out: dict[str, Any] = {"ev": "T", "sym": sym, "x": exchange, "i": trade_id or str(seq), "z": tape, "p": price,
                           "s": size, "t": ms(ts), "q": seq}
    if conditions:
        out["c"] = conditions
    return out


def quote(sym: str, ts: datetime, bid: float, bid_lots: int, ask: float, ask_lots: int, *, seq: int,
          bid_exchange: int = 12, ask_exchange: int = 11) -> dict[str, Any]:
    return {"ev": "Q", "sym": sym, "bx": bid_exchange, "bp": bid, "bs": bid_lots, "ax": ask_exchange, "ap": ask,
            "as": ask_lots, "c": 0, "t": ms(ts), "q": seq, "z": 3}


def minute_agg(sym: str, start: datetime, o: float, h: float, low: float, c: float, volume: int, *,
               trades: int = 10, day_volume: int = 0) -> dict[str, Any]:
    begin = ms(start)
    return {"ev": "AM", "sym": sym, "v": volume, "av": day_volume or volume, "op": o, "vw": (o + c) / 2, "o": o,
            "c": c, "h": h, "l": low, "a": (o + c) / 2, "z": volume // max(trades, 1), "s": begin,
            "e": begin + 60_000}


def rest_agg(start: datetime, o: float, h: float, low: float, c: float, volume: float, trades: int) -> dict[str, Any]:
    """One result of ``/v2/aggs`` (``t`` = bar start, ms)."""
    return {"v": volume, "vw": (o + c) / 2, "o": o, "c": c, "h": h, "l": low, "t": ms(start), "n": trades}
