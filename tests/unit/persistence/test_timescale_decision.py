"""Whether the store uses TimescaleDB: every case of :func:`theo.persistence.timescale.decide`, the preload list
parser, and the statements ``theo db timescale enable`` runs from each starting state."""

from __future__ import annotations

import pytest

from theo.core.errors import StorageError
from theo.persistence.postgres import COMPRESSION_SQL, TimescaleOptions, timescale_statements
from theo.persistence.timescale import Probe, decide, enable_statements, preload_has_timescaledb

READY = Probe(available="2.28.1", preload="timescaledb")
NOT_PRELOADED = Probe(available="2.28.1", preload="pg_stat_statements")


@pytest.mark.parametrize(("value", "expected"), [
    ("timescaledb", True), ("pg_stat_statements, timescaledb", True), ("'timescaledb'", True),
    ('"timescaledb",auto_explain', True), ("$libdir/timescaledb", True), ("timescaledb.so", True),
    ("", False), ("pg_stat_statements", False), ("timescaledb_toolkit", False), ("timescaledb-2.28.1", False),
])
def test_preload_list_is_parsed_like_the_server_does(value: str, expected: bool) -> None:
    assert preload_has_timescaledb(value) is expected


def test_available_and_preloaded_is_used() -> None:
    decision = decide(READY)
    assert decision.use is True
    assert decision.warning is None
    assert decision.reason == "TimescaleDB 2.28.1 is available and preloaded"


def test_installed_but_not_preloaded_uses_plain_tables_with_a_warning_that_says_how_to_switch() -> None:
    decision = decide(NOT_PRELOADED)
    assert decision.use is False
    assert decision.reason == "not usable: plain tables with a BRIN index"
    assert decision.warning is not None
    assert decision.warning.startswith(
        "TimescaleDB not used: the timescaledb extension 2.28.1 is installed on the server but not in "
        "shared_preload_libraries (pg_stat_statements); add 'timescaledb' to shared_preload_libraries")
    assert "restart PostgreSQL" in decision.warning
    assert "`theo db timescale enable`" in decision.warning


def test_require_stops_with_the_same_explanation() -> None:
    with pytest.raises(StorageError, match=r'timescale = "require", but the timescaledb extension 2\.28\.1 is '
                                           r"installed on the server but not in shared_preload_libraries \(empty\)"):
        decide(Probe(available="2.28.1", preload=""), "require")


def test_plain_postgresql_is_a_normal_set_up_without_a_warning() -> None:
    decision = decide(Probe(available=None, preload=""))
    assert (decision.use, decision.warning) == (False, None)
    assert decision.reason == "not available on the server: plain tables with a BRIN index"
    with pytest.raises(StorageError, match="the server has no timescaledb extension"):
        decide(Probe(available=None, preload=""), "require")


def test_off_never_uses_it() -> None:
    assert decide(READY, "off").use is False
    assert decide(Probe(available="2.28.1", installed="2.28.1", preload="timescaledb"), "off").use is False


def test_unreadable_preload_setting_is_said_not_guessed() -> None:
    decision = decide(Probe(available="2.28.1", preload=None))
    assert decision.use is False
    assert decision.warning is not None
    assert "GRANT pg_read_all_settings" in decision.warning


def test_too_old_a_version_is_refused() -> None:
    decision = decide(Probe(available="2.13.1", preload="timescaledb"))
    assert decision.use is False
    assert decision.warning is not None
    assert "2.13.1; Theo needs 2.14 or later" in decision.warning


def test_a_timescaledb_store_whose_server_lost_the_preload_stops_in_every_mode() -> None:
    broken = Probe(available="2.28.1", installed="2.28.1", preload="", hypertable=False)
    for mode in ("auto", "require"):
        with pytest.raises(StorageError, match="installed in this database, but the server does not preload it"):
            decide(broken, mode)
    assert decide(Probe(available="2.28.1", installed="2.28.1", preload=None)).use is True


def test_enable_on_a_plain_store_converts_ticks_and_drops_the_brin_index() -> None:
    opts = TimescaleOptions()
    stmts = enable_statements(READY, opts)
    assert stmts[:3] == ["CREATE EXTENSION IF NOT EXISTS timescaledb", "DROP INDEX IF EXISTS ix_ticks_ts_brin",
                         timescale_statements(opts)[1]]
    assert "migrate_data => true" in stmts[2]
    # the rest is what a store created on TimescaleDB gets
    assert stmts[3:] == timescale_statements(opts)[2:]


def test_enable_again_repeats_only_if_not_exists_statements() -> None:
    done = Probe(available="2.28.1", installed="2.28.1", preload="timescaledb", hypertable=True, compressed=True,
                 aggregates=("ticks_15m", "ticks_30m", "ticks_5m", "ticks_60m"))
    stmts = enable_statements(done, TimescaleOptions(retention_days=30))
    assert not [s for s in stmts if "create_hypertable" in s or "DROP" in s]
    assert COMPRESSION_SQL not in stmts
    assert all("IF NOT EXISTS" in s or "if_not_exists => true" in s for s in stmts)
    assert stmts[-1] == "SELECT add_retention_policy('ticks', INTERVAL '30 days', if_not_exists => true)"


def test_enable_after_a_failed_compression_step_adds_only_compression() -> None:
    half = Probe(available="2.28.1", installed="2.28.1", preload="timescaledb", hypertable=True)
    stmts = enable_statements(half, TimescaleOptions())
    assert COMPRESSION_SQL in stmts
    assert not [s for s in stmts if "create_hypertable" in s]
