"""`theo db upgrade` / `theo db current`, and the universal settings they persist (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.integration.cli.conftest import Invoke
from theo.config.market import MarketConfig
from theo.persistence.db import head_revision, make_engine, transaction
from theo.persistence.models.core import SettingRow
from theo.persistence.repositories.settings import SettingsRepository

HEAD = head_revision()

MARKET = MarketConfig(capital=Decimal("250000.12345678"), extra_holidays=[date(2026, 12, 31)])


def check_round_trip(engine: Engine) -> None:
    assert SettingsRepository(engine).load() is None
    SettingsRepository(engine).save(MARKET, now=datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    stored = SettingsRepository(engine).load()
    assert stored is not None
    assert stored.market == MARKET
    assert stored.raw["capital"] == "250000.12345678"
    assert stored.raw["open_time"] == {"et": "09:30:00", "utc_standard": "14:30:00", "utc_daylight": "13:30:00"}
    assert stored.raw["close_time"] == {"et": "16:00:00", "utc_standard": "21:00:00", "utc_daylight": "20:00:00"}
    assert stored.raw["pre_market"]["start"]["et"] == "04:00:00"
    assert stored.raw["post_market"]["end"] == {"et": "20:00:00", "utc_standard": "01:00:00",
                                                "utc_daylight": "00:00:00"}
    assert stored.raw["calendar"] == "XNYS"
    assert stored.raw["option_category_split"]["deep_itm_delta"] == "0.80"
    assert stored.utc_time("open_time", daylight=False) == time(14, 30)
    assert stored.updated_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    # Saving again with a change rewrites only what changed.
    SettingsRepository(engine).save(MARKET.model_copy(update={"capital": Decimal("1")}),
                  now=datetime(2026, 11, 25, tzinfo=UTC))
    with transaction(engine) as session:
        stamps = {r.key: r.updated_at for r in session.scalars(select(SettingRow))}
    assert stamps["capital"] == datetime(2026, 11, 25, tzinfo=UTC)
    assert stamps["calendar"] == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_settings_round_trip_on_sqlite(sqlite_engine: Engine) -> None:
    check_round_trip(sqlite_engine)


def test_settings_round_trip_on_postgresql(pg_engine: Engine) -> None:
    check_round_trip(pg_engine)


def test_upgrade_migrates_prints_masked_url_and_saves_settings(theo: Invoke, tmp_path: Path) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[market]\ncapital = "42000"\n', encoding="utf-8")
    before = theo("db", "current", "--config", str(cfg))
    assert before.exit_code == 0
    assert "revision: none (empty store); run `theo db upgrade`" in before.stdout
    result = theo("db", "upgrade", "--config", str(cfg))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"database: sqlite:///{tmp_path / 'var' / 'theo.db'}",
        f"revision: {HEAD} (head)",
        "settings: saved (capital 42000 USD, calendar XNYS)",
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")
    stored = SettingsRepository(engine).load()
    engine.dispose()
    assert stored is not None
    assert stored.market.capital == Decimal("42000")
    after = theo("db", "current", "--config", str(cfg))
    assert f"revision: {HEAD} (head)" in after.stdout


def test_upgrade_on_postgresql_masks_the_password(theo: Invoke, pg_database_url: str) -> None:
    result = theo("db", "upgrade", env={"THEO__DATABASE__URL": pg_database_url,
                                        "THEO__DATABASE__PASSWORD": "not-needed-but-secret"})
    assert result.exit_code == 0, result.stderr
    assert "not-needed-but-secret" not in result.stdout
    assert ":***@" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[1] == f"revision: {HEAD} (head)"


def test_unreachable_server_is_an_error_message(theo: Invoke) -> None:
    result = theo("db", "upgrade", env={"THEO__DATABASE__URL": "postgresql://theo@127.0.0.1:1/theo",
                                        "THEO__DATABASE__PASSWORD": "s3cret"})
    assert result.exit_code == 2
    assert "cannot migrate postgresql+psycopg://theo:***@127.0.0.1:1/theo" in result.stderr
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize("bad", ['{"et": "nonsense"}'])
def test_corrupt_settings_row_is_a_storage_error(sqlite_engine: Engine, bad: str) -> None:
    import json

    from theo.core.errors import StorageError

    SettingsRepository(sqlite_engine).save(MARKET)
    with transaction(sqlite_engine) as session:
        row = session.get(SettingRow, "open_time")
        assert row is not None
        row.value = json.loads(bad)
    with pytest.raises(StorageError, match="unreadable value"):
        SettingsRepository(sqlite_engine).load()
