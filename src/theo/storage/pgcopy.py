"""PostgreSQL binary COPY payloads for ticks, built with NumPy instead of one Python call per row.

Binary COPY format (PostgreSQL docs, "COPY", binary format): an 11-byte signature, int32 flags, int32
header-extension length, then per row an int16 field count and, per field, an int32 byte length and the
value in network byte order; an int16 -1 ends the stream. Rows of equal text widths share one NumPy
record layout, so the payload is assembled per width group (row order does not matter to a table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
#: timestamptz travels as int64 microseconds since 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800_000_000


def _encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-row ASCII bytes and byte lengths of a str column; None when a value is not ASCII."""
    # Factorising first encodes each distinct value once (a handful of venue and condition codes).
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if not all(isinstance(u, str) and u.isascii() for u in uniques):
        return None
    encoded = np.array([u.encode() for u in uniques] or [b""], dtype="S")
    lengths = np.array([len(u) for u in uniques] or [0], dtype=np.int64)
    return encoded[codes], lengths[codes]


def tick_payload(symbol: str, ts_us: np.ndarray, seq: np.ndarray, price: np.ndarray, size: np.ndarray,
                 exchange: np.ndarray, condition: np.ndarray, source: str) -> list[bytes] | None:
    """The whole COPY stream, in chunks, for columns (symbol, ts, seq, price, size, exchange, condition, source).

    Return None when a text value is not ASCII (the caller then falls back to row-by-row COPY).
    """
    ex_enc, cond_enc = _encode(exchange), _encode(condition)
    if ex_enc is None or cond_enc is None or not (symbol + source).isascii():
        return None
    (ex, ex_len), (cond, cond_len) = ex_enc, cond_enc
    sym_b, src_b = symbol.encode(), source.encode()
    parts = [SIGNATURE]
    key = ex_len.astype(np.int64) * 1_000_003 + cond_len
    for k in np.unique(key):
        rows = np.flatnonzero(key == k)
        le, lc = int(ex_len[rows[0]]), int(cond_len[rows[0]])
        fields: list[tuple[str, str]] = [("n", ">i2"), ("l0", ">i4")]
        fields += [("sym", f"S{len(sym_b)}")] if sym_b else []
        fields += [("l1", ">i4"), ("ts", ">i8"), ("l2", ">i4"), ("seq", ">i4"), ("l3", ">i4"), ("price", ">f8"),
                   ("l4", ">i4"), ("size", ">f8"), ("l5", ">i4")]
        fields += [("ex", f"S{le}")] if le else []
        fields += [("l6", ">i4")] + ([("cond", f"S{lc}")] if lc else []) + [("l7", ">i4")]
        fields += [("src", f"S{len(src_b)}")] if src_b else []
        rec = np.empty(rows.shape[0], dtype=np.dtype(fields))
        rec["n"] = 8
        rec["l0"], rec["l1"], rec["l2"], rec["l3"], rec["l4"] = len(sym_b), 8, 4, 8, 8
        rec["l5"], rec["l6"], rec["l7"] = le, lc, len(src_b)
        if sym_b:
            rec["sym"] = sym_b
        rec["ts"] = ts_us[rows] - PG_EPOCH_US
        rec["seq"] = seq[rows]
        rec["price"] = price[rows]
        rec["size"] = size[rows]
        if le:
            rec["ex"] = ex[rows]
        if lc:
            rec["cond"] = cond[rows]
        if src_b:
            rec["src"] = src_b
        parts.append(rec.tobytes())
    parts.append(TRAILER)
    return parts
