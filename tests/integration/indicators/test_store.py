"""Indicator values in the store: written per symbol, timeframe and bar; rewriting replaces them."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from tests.unit.indicators.support import arrays_from_frame, read_frame, to_bars
from theo.indicators import IndicatorSet, parse_spec
from theo.indicators.store import IndicatorWriter, load_values
from theo.persistence.db import transaction
from theo.persistence.models.indicators import IndicatorValueRow
from theo.persistence.repositories.indicators import IndicatorValueRepository
from theo.persistence.repositories.swings import SwingPointRepository


def _roundtrip(engine: Engine) -> None:
    a = arrays_from_frame(read_frame("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz"), "SPY", "15m")
    iset = IndicatorSet("SPY", "15m", parse_spec("atr:14,donchian:20,swing:2:2,pivot:classic"))
    store = IndicatorValueRepository(engine)
    writer = IndicatorWriter(store, batch_size=700)
    bars = to_bars(a, timedelta(minutes=15))[:100]
    for bar in bars:
        iset.update(bar)
        writer.add_set(iset)
    writer.flush()
    outputs = sum(len(i.outputs) for i in iset.indicators)
    assert writer.written == 100 * outputs
    stored = load_values(store, "SPY", "15m")
    ts, atr = stored[("atr_14", "value")]
    assert ts[0] == bars[0].start
    assert len(ts) == 100
    expected = iset.get("atr_14").batch(a)["value"][:100]
    np.testing.assert_allclose(atr, expected, rtol=1e-12, equal_nan=True)
    assert np.isnan(atr[:14]).all()  # stored as NULL until ready
    # The streaming pipeline and the batch writer store the same rows; rewriting replaces, never duplicates.
    batch = {(i.name, o): arr[:100] for i in iset.indicators for o, arr in i.batch(a).items()}
    writer.add_columns("SPY", "15m", a.start_us[:100], batch)
    writer.flush()
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(IndicatorValueRow)) == 100 * outputs
    again = load_values(store, "SPY", "15m", name="swing_2_2")
    assert set(again) == {("swing_2_2", "high"), ("swing_2_2", "low")}
    np.testing.assert_allclose(again[("swing_2_2", "high")][1], batch[("swing_2_2", "high")], equal_nan=True)


def test_values_roundtrip_on_sqlite(sqlite_engine: Engine) -> None:
    _roundtrip(sqlite_engine)


def test_values_roundtrip_on_postgresql(pg_engine: Engine) -> None:
    _roundtrip(pg_engine)


def test_a_set_without_bars_writes_nothing(sqlite_engine: Engine) -> None:
    w = IndicatorWriter(IndicatorValueRepository(sqlite_engine))
    w.add_set(IndicatorSet("SPY", "1m", parse_spec("atr")))
    assert w.flush() == 0
    assert w.written == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None])
def test_non_finite_values_are_stored_as_null(sqlite_engine: Engine, value: float | None) -> None:
    from datetime import UTC, datetime

    w = IndicatorWriter(IndicatorValueRepository(sqlite_engine))
    w.add("SPY", "1m", datetime(2019, 2, 11, 14, 30, tzinfo=UTC), [("atr_14", "value", value)])
    w.flush()
    with transaction(sqlite_engine) as s:
        assert s.scalars(select(IndicatorValueRow.value)).all() == [None]


def _restart_publishes_each_change_once(engine: Engine) -> None:
    from theo.core.bus import InMemoryBus
    from theo.indicators.journal import StoredSwingJournal

    a = arrays_from_frame(read_frame("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz"), "SPY", "15m")
    bars = to_bars(a, timedelta(minutes=15))[:200]

    def run(upto: int, journal: object) -> list[tuple[object, ...]]:
        bus = InMemoryBus(raise_errors=True)
        got: list[tuple[object, ...]] = []
        bus.subscribe("indicators.swing.SPY", lambda t, m: got.append(
            (m.ts, m.high_changed and m.high_ts, m.low_changed and m.low_ts)))
        iset = IndicatorSet("SPY", "15m", parse_spec("swing:3:3,atr:14"), bus, journal)  # type: ignore[arg-type]
        for bar in bars[:upto]:
            iset.update(bar)
        return got

    reference = run(200, None)  # one uninterrupted run, in-memory journal
    assert len(reference) > 10
    swings = SwingPointRepository(engine)
    before = run(120, StoredSwingJournal(swings))
    after = run(200, StoredSwingJournal(swings))  # a restart: warm-up replays bars 0..119 first
    assert before + after == reference
    assert after
    assert all(ts >= bars[120].start for ts, _, _ in after)
    assert run(200, StoredSwingJournal(swings)) == []  # a third start has nothing new to say
    points = swings.points("SPY", "15m", "swing_3_3")
    assert len(points) == sum(bool(h) + bool(lo) for _, h, lo in reference)
    assert len({(kind, ts) for _, kind, ts, _, _ in points}) == len(points)


def test_a_restart_publishes_each_swing_change_once_on_sqlite(sqlite_engine: Engine) -> None:
    _restart_publishes_each_change_once(sqlite_engine)


@pytest.mark.postgres
def test_a_restart_publishes_each_swing_change_once_on_postgresql(pg_engine: Engine) -> None:
    _restart_publishes_each_change_once(pg_engine)
