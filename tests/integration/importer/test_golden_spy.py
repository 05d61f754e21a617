"""Golden check: the SPY tick week stores the same rows on SQLite and PostgreSQL; a re-import adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import shared_file
from theo.marketdata.importer import import_file
from theo.storage.checksum import ticks_checksum
from theo.storage.writer import count_ticks

SPY_TICKS = "lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz"
STORED = 1_887_460 - 10  # every row but the 10 the provider flags as suspicious


@pytest.mark.xdist_group("spy-golden")
def test_spy_week_is_identical_on_sqlite_and_postgres_and_reimport_adds_nothing(
    sqlite_engine: Engine, pg_engine: Engine
) -> None:
    path = shared_file(SPY_TICKS)
    sums = {}
    for engine in (sqlite_engine, pg_engine):
        first = import_file(engine, path, "SPY")
        assert (first.rows_read, first.imported, first.already_present) == (1_887_460, STORED, 0)
        assert first.rejected == {"provider_suspicious": 10}
        before = ticks_checksum(engine, "SPY")
        again = import_file(engine, path, "SPY")
        assert (again.imported, again.already_present) == (0, STORED)
        assert count_ticks(engine, "SPY") == STORED
        assert ticks_checksum(engine, "SPY") == before
        sums[engine.dialect.name] = before
    assert sums["sqlite"] == sums["postgresql"]
