"""The tick writer on both engines: idempotent, seq numbering, text edge cases of the binary COPY."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, select

from theo.data.files import TickColumns
from theo.persistence.checksum import ticks_checksum
from theo.persistence.models.core import TickRow
from theo.persistence.writer import WriteStats, write_ticks

T0 = 1_381_152_600_000_000  # 2013-10-07 13:30 UTC


def _cols(exchange: list[str], condition: list[str]) -> TickColumns:
    n = len(exchange)
    return TickColumns("SPY", np.array([T0, T0, T0 + 5, T0 + 5][:n], dtype=np.int64),
                       np.array([1.5, 2.25, 3.0, 4.0][:n]), np.array([100.0, 0.0, 7.0, 8.0][:n]),
                       np.array(exchange, dtype=object), np.array(condition, dtype=object),
                       np.zeros(n, dtype=bool), np.arange(2, n + 2, dtype=np.int64))


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(TickRow.seq, TickRow.price, TickRow.size, TickRow.exchange, TickRow.condition)
            .order_by(TickRow.ts, TickRow.seq))]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


def test_ticks_store_once_with_seq_and_any_text(engine: Engine) -> None:
    cols = _cols(["P", "", "QQ", "Z"], ["", "20002000", "ü", "1"])
    assert write_ticks(engine, cols, "t") == WriteStats(4, 0)
    assert _stored(engine) == [(0, 1.5, 100.0, "P", ""), (1, 2.25, 0.0, "", "20002000"),
                               (0, 3.0, 7.0, "QQ", "ü"), (1, 4.0, 8.0, "Z", "1")]
    first = ticks_checksum(engine, "SPY")
    assert write_ticks(engine, cols, "t") == WriteStats(0, 4)
    assert write_ticks(engine, cols.head(2), "t") == WriteStats(0, 2)
    assert ticks_checksum(engine, "SPY") == first


def test_overlapping_batch_adds_only_new_ticks(engine: Engine) -> None:
    cols = _cols(["P", "", "Q", "Q"], ["1", "", "", "20"])  # ASCII only: the NumPy-built COPY payload
    write_ticks(engine, cols.head(3), "t")
    assert write_ticks(engine, cols, "t") == WriteStats(1, 3)
    assert _stored(engine) == [(0, 1.5, 100.0, "P", "1"), (1, 2.25, 0.0, "", ""),
                               (0, 3.0, 7.0, "Q", ""), (1, 4.0, 8.0, "Q", "20")]


def test_rejected_values_are_refused(engine: Engine) -> None:
    from theo.core.errors import DataError

    cols = _cols(["P"], ["1"])
    cols.price[0] = -1.0
    with pytest.raises(DataError, match="line 2"):
        write_ticks(engine, cols, "t")
