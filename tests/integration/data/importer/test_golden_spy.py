"""Golden check: the SPY tick week stores the same rows on SQLite and PostgreSQL; a re-import adds nothing.

Both engines must reach the same content checksum; it is pinned here so that each engine is checked on
its own (the two tests run in parallel) and any change to the stored content is noticed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import shared_file
from theo.data.importer import import_file
from theo.persistence.checksum import ticks_checksum
from theo.persistence.repositories.market_data import MarketDataRepository

SPY_TICKS = "lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz"
STORED = 1_887_460 - 10  # every row but the 10 the provider flags as suspicious
GOLDEN = "af9a76cb404e2e98eefb452192634f1ba771d4d73228f1495ff9fc086c135a64"


def _import_twice(engine: Engine) -> None:
    path = shared_file(SPY_TICKS)
    store = MarketDataRepository(engine)
    first = import_file(store, path, "SPY")
    assert (first.rows_read, first.imported, first.already_present) == (1_887_460, STORED, 0)
    assert first.rejected == {"provider_suspicious": 10}
    again = import_file(store, path, "SPY")
    assert (again.imported, again.already_present) == (0, STORED)
    assert store.count_ticks("SPY") == STORED
    assert ticks_checksum(engine, "SPY") == GOLDEN


@pytest.mark.xdist_group("spy-golden-sqlite")
def test_spy_week_into_sqlite_twice_stores_the_golden_rows_once(sqlite_engine: Engine) -> None:
    _import_twice(sqlite_engine)


@pytest.mark.xdist_group("spy-golden-postgres")
def test_spy_week_into_postgres_twice_stores_the_golden_rows_once(pg_engine: Engine) -> None:
    _import_twice(pg_engine)
