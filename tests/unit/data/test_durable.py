"""SpoolingStore: the database receives the recorder's writes in order, through the spool while it is out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.data.durable import SpoolingStore
from theo.data.files import TickColumns
from theo.data.quarantine import QuarantineItem
from theo.data.spool import Spool
from theo.data.spool_records import decode_bars, decode_ticks, encode_bars, encode_ticks
from theo.model.enums import SessionKind
from theo.model.market import Bar

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


class Database:
    """A store that keeps what it is given (keyed like the real one) and can be switched off."""

    def __init__(self) -> None:
        self.up = True
        self.ticks: dict[tuple[str, int, int], tuple[float, float, str]] = {}
        self.order: list[str] = []  # the order writes arrived in
        self.events: list[str] = []

    def _check(self) -> None:
        if not self.up:
            raise ConnectionRefusedError("connection refused")

    def write_ticks(self, ticks: TickColumns, source: str) -> int:
        self._check()
        new = 0
        seen: dict[int, int] = {}
        for t, p, s in zip(ticks.ts_us.tolist(), ticks.price.tolist(), ticks.size.tolist(), strict=True):
            seq = seen[t] = seen.get(t, -1) + 1
            key = (ticks.symbol, t, seq)
            if key not in self.ticks:
                self.ticks[key] = (p, s, source)
                new += 1
        self.order.append(f"ticks {ticks.symbol} {int(ticks.ts_us[0])}")
        return new

    def write_bars(self, bars: Sequence[Bar], source: str) -> int:
        self._check()
        self.order.append(f"bars {len(bars)}")
        return len(bars)

    def write_quarantine(self, items: Sequence[QuarantineItem]) -> int:
        self._check()
        self.order.append(f"quarantine {len(items)}")
        return len(items)

    def write_feed_event(self, ts: datetime, kind: str, symbol: str, source: str, since: datetime | None,
                         detail: str) -> None:
        self._check()
        self.events.append(f"{kind} {symbol}")
        self.order.append(f"event {kind}")


def _cols(symbol: str, ts_us: list[int], price: float = 10.0) -> TickColumns:
    n = len(ts_us)
    return TickColumns(symbol, np.array(ts_us, dtype=np.int64), np.full(n, price), np.full(n, 100.0),
                       np.array(["Q"] * n, dtype=object), np.array([""] * n, dtype=object), np.zeros(n, bool),
                       np.zeros(n, np.int64))


def _outage(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError)


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    s = Spool(tmp_path / "c.spool")
    s.open()
    yield s
    s.close()


def test_writes_made_while_the_database_is_out_reach_it_in_order_when_it_is_back(spool: Spool) -> None:
    db = Database()
    store = SpoolingStore(db, spool, _outage)
    assert store.write_ticks(_cols("SPY", [1, 2]), "feed") == 2
    db.up = False
    assert store.write_ticks(_cols("SPY", [3, 3]), "feed") == 0
    store.write_feed_event(T0, "stale", "SPY", "feed", T0, "feed.stale")
    assert store.write_ticks(_cols("QQQ", [4]), "feed") == 0
    assert store.spooling
    assert store.replay() is False  # still out: nothing lost, nothing written
    db.up = True
    assert store.write_ticks(_cols("SPY", [5]), "feed") == 0  # behind the spool, in order
    assert store.replay() is True
    assert not store.spooling
    assert db.order == ["ticks SPY 1", "ticks SPY 3", "event stale", "ticks QQQ 4", "ticks SPY 5"]
    assert sorted(db.ticks) == [("QQQ", 4, 0), ("SPY", 1, 0), ("SPY", 2, 0), ("SPY", 3, 0), ("SPY", 3, 1),
                                ("SPY", 5, 0)]
    assert (store.stored["SPY"], store.spooled["SPY"], store.replayed["SPY"]) == (5, 3, 3)
    assert store.outages == 1
    assert not spool.pending()


def test_a_batch_replayed_twice_adds_nothing_the_second_time(spool: Spool) -> None:
    db = Database()
    store = SpoolingStore(db, spool, _outage)
    db.up = False
    store.write_ticks(_cols("SPY", [7, 7, 8]), "feed")
    db.up = True
    record = spool.read_at(0)
    assert record is not None
    store.replay()
    assert len(db.ticks) == 3
    cols, source = decode_ticks(record.payload)  # a crash between the commit and the progress file
    assert db.write_ticks(cols, source) == 0


def test_an_error_that_is_not_an_outage_is_raised_not_spooled(spool: Spool) -> None:
    class Broken(Database):
        def write_ticks(self, ticks: TickColumns, source: str) -> int:
            raise ValueError("no such table: ticks")

    store = SpoolingStore(Broken(), spool, _outage)
    with pytest.raises(ValueError, match="no such table"):
        store.write_ticks(_cols("SPY", [1]), "feed")
    assert not spool.pending()


def test_a_spool_left_by_an_earlier_run_goes_in_before_new_writes(tmp_path: Path) -> None:
    first = Spool(tmp_path / "c.spool")
    first.open()
    db = Database()
    db.up = False
    SpoolingStore(db, first, _outage).write_ticks(_cols("SPY", [1]), "feed")
    first.close()  # the process died here
    db.up = True
    again = Spool(tmp_path / "c.spool")
    again.open()
    store = SpoolingStore(db, again, _outage)
    assert store.spooling
    store.write_ticks(_cols("SPY", [2]), "feed")
    assert store.replay()
    assert db.order == ["ticks SPY 1", "ticks SPY 2"]
    assert store.replayed["SPY"] == 2
    again.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(st.integers(0, 5), min_size=1, max_size=5)), min_size=1,
                max_size=12))
def test_whatever_the_outages_every_tick_is_stored_once(tmp_path_factory: pytest.TempPathFactory,
                                                        steps: list[tuple[bool, list[int]]]) -> None:
    spool = Spool(tmp_path_factory.mktemp("spool") / "c.spool")
    spool.open()
    db = Database()
    store = SpoolingStore(db, spool, _outage)
    expected = 0
    for k, (up, ts) in enumerate(steps):
        db.up = up
        store.write_ticks(_cols("SPY", [k * 10 + t for t in sorted(ts)]), "feed")
        expected += len(ts)
        if up:
            store.replay()
    db.up = True
    assert store.replay()
    assert len(db.ticks) == expected == store.stored["SPY"]
    spool.close()


def test_bars_round_trip_through_the_spool_payload() -> None:
    bar = Bar("SPY", "5m", T0, T0 + timedelta(minutes=5), 1.5, 2.25, 1.0, 2.0, 300.0, 4, SessionKind.PRE, "ibkr",
              frozenset({"outlier"}))
    assert decode_bars(encode_bars([bar], "ibkr")) == ([bar], "ibkr")
    cols = _cols("QQQ", [3, 1, 2], price=380.123456789)
    back, source = decode_ticks(encode_ticks(cols, "polygon"))
    assert source == "polygon"
    assert back.ts_us.tolist() == [3, 1, 2]
    assert back.price.tolist() == cols.price.tolist()
    assert back.exchange.tolist() == ["Q", "Q", "Q"]
