"""The NumPy-built binary COPY stream decodes back to the input rows, in input order."""

from __future__ import annotations

import struct

import numpy as np

from theo.persistence.pgcopy import PG_EPOCH_US, SIGNATURE, TRAILER, tick_payload


def _decode(data: bytes) -> list[tuple[object, ...]]:
    assert data.startswith(SIGNATURE)
    assert data.endswith(TRAILER)
    pos, rows = len(SIGNATURE), []
    while data[pos:pos + 2] != TRAILER:
        (nfields,) = struct.unpack_from(">h", data, pos)
        pos += 2
        values = []
        for _ in range(nfields):
            (length,) = struct.unpack_from(">i", data, pos)
            pos += 4
            values.append(data[pos:pos + length])
            pos += length
        sym, ts, seq, price, size, src, ex, cond = values
        rows.append((sym.decode(), struct.unpack(">q", ts)[0] + PG_EPOCH_US, struct.unpack(">i", seq)[0],
                     struct.unpack(">d", price)[0], struct.unpack(">d", size)[0], src.decode(), ex.decode(),
                     cond.decode()))
    assert pos + 2 == len(data)
    return rows


def test_rows_round_trip_with_empty_and_varying_text() -> None:
    ts = np.array([10, 10, 20, 30], dtype=np.int64) + 1_381_152_600_000_000
    seq = np.array([0, 1, 0, 0], dtype=np.int64)
    price = np.array([167.41, 1e-8, 3.5, 2.0])
    size = np.array([100.0, 0.0, 12.5, 3.0])
    ex = np.array(["P", "", "QQ", "Z"], dtype=object)
    cond = np.array(["20002000", "1", "", "20"], dtype=object)
    data = tick_payload("SPY", ts, seq, price, size, ex, cond, "file.csv")
    assert data is not None
    assert _decode(data) == [
        ("SPY", int(ts[i]), int(seq[i]), float(price[i]), float(size[i]), "file.csv", ex[i], cond[i])
        for i in range(4)
    ]


def test_non_ascii_text_asks_for_the_row_by_row_path() -> None:
    one = np.array([1], dtype=np.int64)
    assert tick_payload("SPY", one, one, np.array([1.0]), np.array([1.0]), np.array(["ü"], dtype=object),
                        np.array([""], dtype=object), "") is None


def test_all_text_empty_and_no_rows() -> None:
    one = np.array([5], dtype=np.int64)
    data = tick_payload("S", one, np.array([0]), np.array([1.0]), np.array([2.0]),
                        np.array([""], dtype=object), np.array([""], dtype=object), "")
    assert data is not None
    assert _decode(data) == [("S", 5, 0, 1.0, 2.0, "", "", "")]
    empty = np.array([], dtype=np.int64)
    assert tick_payload("S", empty, empty, empty.astype(float), empty.astype(float),
                        empty.astype(object), empty.astype(object), "") == SIGNATURE + TRAILER
