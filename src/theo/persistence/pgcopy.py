"""PostgreSQL binary COPY payloads for ticks, built with NumPy instead of one Python call per row.

Binary COPY format (PostgreSQL docs, "COPY", binary format): an 11-byte signature, int32 flags, int32
header-extension length, then per row an int16 field count and, per field, an int32 byte length and the
value in network byte order; an int16 -1 ends the stream. Each row is first laid out at a fixed width
(text padded to the longest value), then the padding is squeezed out with a boolean mask. Rows keep their
input order, which keeps index inserts append-mostly on the server.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
#: timestamptz travels as int64 microseconds since 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800_000_000
#: Column order of :func:`tick_payload` (the two variable-width text columns last).
PAYLOAD_COLUMNS = ("symbol", "ts", "seq", "price", "size", "source", "exchange", "condition")


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
                 exchange: np.ndarray, condition: np.ndarray, source: str) -> bytes | None:
    """The whole COPY stream for :data:`PAYLOAD_COLUMNS`; None when a text value is not ASCII."""
    ex_enc, cond_enc = _encode(exchange), _encode(condition)
    if ex_enc is None or cond_enc is None or not (symbol + source).isascii():
        return None
    (ex, ex_len), (cond, cond_len) = ex_enc, cond_enc
    n = ts_us.shape[0]
    if n == 0:
        return SIGNATURE + TRAILER
    sym_b, src_b = symbol.encode(), source.encode()
    max_ex, max_cond = int(ex_len.max()), int(cond_len.max())
    fields: list[tuple[str, str]] = [("n", ">i2"), ("l_sym", ">i4")]
    fields += [("sym", f"S{len(sym_b)}")] if sym_b else []
    fields += [("l_ts", ">i4"), ("ts", ">i8"), ("l_seq", ">i4"), ("seq", ">i4"), ("l_price", ">i4"),
               ("price", ">f8"), ("l_size", ">i4"), ("size", ">f8"), ("l_src", ">i4")]
    fields += [("src", f"S{len(src_b)}")] if src_b else []
    fields += [("l_ex", ">i4")] + ([("ex", f"S{max_ex}")] if max_ex else [])
    fields += [("l_cond", ">i4")] + ([("cond", f"S{max_cond}")] if max_cond else [])
    dtype = np.dtype(fields)
    rec = np.zeros(n, dtype=dtype)
    rec["n"] = len(PAYLOAD_COLUMNS)
    rec["l_sym"], rec["l_ts"], rec["l_seq"], rec["l_price"], rec["l_size"] = len(sym_b), 8, 4, 8, 8
    rec["l_src"], rec["l_ex"], rec["l_cond"] = len(src_b), ex_len, cond_len
    if sym_b:
        rec["sym"] = sym_b
    if src_b:
        rec["src"] = src_b
    rec["ts"] = ts_us - PG_EPOCH_US
    rec["seq"], rec["price"], rec["size"] = seq, price, size
    if max_ex:
        rec["ex"] = ex
    if max_cond:
        rec["cond"] = cond
    ex_at = dtype.fields["l_ex"][1] + 4  # type: ignore[index]
    cond_at = dtype.fields["l_cond"][1] + 4  # type: ignore[index]
    j = np.arange(dtype.itemsize)
    keep = ((j < ex_at)[None, :]
            | ((j >= ex_at)[None, :] & (j < ex_at + ex_len[:, None]))
            | ((j >= cond_at - 4) & (j < cond_at))[None, :]
            | ((j >= cond_at)[None, :] & (j < cond_at + cond_len[:, None])))
    body = rec.view(np.uint8).reshape(n, dtype.itemsize)[keep]
    return SIGNATURE + body.tobytes() + TRAILER
