"""Roll events are stored once, and updated when re-measured."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from theo.data.futures.continuous import RollEvent
from theo.persistence.models.futures import RollEventRow
from theo.persistence.repositories.futures import RollEventRepository

EVENT = RollEvent("ES", "calendar", "ESZ13", "ESH14", date(2013, 10, 9),
                  datetime(2013, 10, 8, 22, 0, tzinfo=UTC), 1648.5, 1641.5)


def test_saving_twice_stores_one_row(sqlite_engine: Engine) -> None:
    assert RollEventRepository(sqlite_engine).save([EVENT]) == 1
    assert RollEventRepository(sqlite_engine).save([EVENT]) == 0
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RollEventRow)).scalar() == 1
    (back,) = RollEventRepository(sqlite_engine).load("ES")
    assert back == EVENT
    assert back.difference == -7.0


def test_a_remeasured_roll_updates_the_row(sqlite_engine: Engine) -> None:
    RollEventRepository(sqlite_engine).save([EVENT])
    moved = RollEvent("ES", "calendar", "ESZ13", "ESH14", date(2013, 10, 10),
                      datetime(2013, 10, 9, 22, 0, tzinfo=UTC), 1660.0, 1652.25)
    assert RollEventRepository(sqlite_engine).save([moved]) == 1
    assert RollEventRepository(sqlite_engine).load("ES", "calendar") == [moved]
    other_rule = RollEvent("ES", "volume", "ESZ13", "ESH14", EVENT.roll_day, EVENT.ts, 1648.5, 1641.5)
    RollEventRepository(sqlite_engine).save([other_rule])
    assert len(RollEventRepository(sqlite_engine).load("ES")) == 2
