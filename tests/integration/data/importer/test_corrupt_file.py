"""A file with corrupt rows imports its good rows; each bad row lands in the quarantine with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.unit.data.test_files import CORRUPT, write_corrupt
from theo.data.importer import import_file
from theo.persistence.models.core import QuarantineRow, TickRow
from theo.persistence.repositories.market_data import MarketDataRepository

EXPECTED = sorted(
    [(i + 2, *bad) for i, (_, bad) in enumerate(CORRUPT) if bad is not None]
    + [(12, "suspicious", "1", "provider_suspicious")]
)


def _check(engine: Engine, tmp_path: Path) -> None:
    path = write_corrupt(tmp_path)
    store = MarketDataRepository(engine)
    summary = import_file(store, path, "SPY")
    assert (summary.rows_read, summary.imported, summary.rejected_total) == (12, 2, 10)
    assert summary.rejected["missing_field"] == 2
    assert summary.rejected["nan_or_inf"] == 2
    with engine.connect() as conn:
        prices = conn.execute(select(TickRow.price).order_by(TickRow.ts)).scalars().all()
        rows = conn.execute(select(QuarantineRow.line, QuarantineRow.column, QuarantineRow.value,
                                   QuarantineRow.reason, QuarantineRow.source, QuarantineRow.kind)).all()
    assert prices == [167.41, 167.43]
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows) == EXPECTED
    assert {r[4] for r in rows} == {str(path)}
    assert {r[5] for r in rows} == {"tick"}
    again = import_file(store, path, "SPY")
    assert (again.imported, again.already_present) == (0, 2)
    assert sum(store.quarantine_counts(str(path)).values()) == 10  # not quarantined twice


def test_corrupt_rows_are_quarantined_on_sqlite(sqlite_engine: Engine, tmp_path: Path) -> None:
    _check(sqlite_engine, tmp_path)


@pytest.mark.xdist_group("postgres-import")
def test_corrupt_rows_are_quarantined_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    _check(pg_engine, tmp_path)


def test_bars_import_idempotently(sqlite_engine: Engine) -> None:
    from tests.conftest import shared_file

    path = shared_file("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz")
    first = import_file(MarketDataRepository(sqlite_engine), path, "SPY")
    assert (first.kind, first.timeframe, first.imported) == ("bars", "15m", 780)
    assert import_file(MarketDataRepository(sqlite_engine), path, "SPY").already_present == 780
