"""The archive protocol on SQLite: archive, verify, restore, and recovery from every interrupted step."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.unit.persistence.archive.seed import db_ticks, insert_ticks, make_ticks
from theo.core.errors import StorageError
from theo.core.time import from_us, to_us
from theo.persistence.archive import Archiver, cutoff_for, et_midnight, restore, verify_archive
from theo.persistence.archive.files import read_rows
from theo.persistence.models.core import AuditLogRow, TickRow
from theo.persistence.models.futures import ArchiveFileRow

CUTOFF = et_midnight(date(2013, 10, 10))  # Mon..Wed archived, Thu and Fri stay


class Crash(Exception):
    """Stands for a kill at a step (the subprocess test does the real SIGKILL)."""


def archived_rows(archiver: Archiver) -> list[tuple[object, ...]]:
    return [r for e in archiver.entries() for r in read_rows(archiver.file_path(e))]


@pytest.fixture
def seeded(sqlite_engine: Engine) -> tuple[Engine, list[tuple[object, ...]]]:
    rows = make_ticks()
    insert_ticks(sqlite_engine, rows)
    return sqlite_engine, list(rows)


def test_run_moves_old_ticks_into_verified_files(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, original = seeded
    archiver = Archiver(engine, tmp_path / "archive")
    report = archiver.run(CUTOFF)
    old = [r for r in original if r[1] < to_us(CUTOFF)]
    assert report.rows_archived == report.rows_purged == len(old) > 0
    left = db_ticks(engine)
    assert all(r[1] >= to_us(CUTOFF) for r in left)
    assert sorted(left + archived_rows(archiver)) == sorted(original)
    entries = archiver.entries()
    assert {e.state for e in entries} == {"purged"}
    # One file per New York date and symbol: 3 days x 2 symbols.
    assert sorted((e.day.isoformat(), e.symbol) for e in entries) == sorted(
        (d, s) for d in ("2013-10-07", "2013-10-08", "2013-10-09") for s in ("IBM", "SPY"))
    e = entries[0]
    assert e.path.startswith(f"ticks/date={e.day}/symbol={e.symbol}/part-")
    assert e.path.endswith(".parquet")
    assert e.min_ts <= e.max_ts < CUTOFF
    jsonl = archiver.jsonl.read()[0]
    assert [x.state for x in jsonl].count("purged") == len(entries)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditLogRow)
                            .where(AuditLogRow.action == "archive.run")).scalar() == 1
    again = archiver.run(CUTOFF)
    assert (again.files_written, again.rows_purged) == (0, 0)
    assert verify_archive(archiver).ok


def test_cutoff_is_new_york_midnight() -> None:
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 ET on the 23rd
    assert cutoff_for(now, timedelta(days=30)) == datetime(2026, 10, 24, 4, 0, tzinfo=UTC)


def test_verify_reports_tampered_missing_and_unknown_files(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, _ = seeded
    archiver = Archiver(engine, tmp_path / "archive")
    archiver.run(CUTOFF)
    entries = archiver.entries()
    tampered = archiver.file_path(entries[0])
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    os.chmod(tampered, 0o644)
    tampered.write_bytes(bytes(data))
    archiver.file_path(entries[1]).unlink()
    stray = tmp_path / "archive" / "ticks" / "date=2013-10-07" / "symbol=SPY" / "part-stray.parquet"
    stray.write_bytes(b"x")
    report = verify_archive(archiver)
    assert not report.ok
    kinds = {(p.path, p.what) for p in report.problems}
    assert (entries[0].path, "tampered") in kinds
    assert (entries[1].path, "missing") in kinds
    assert ("ticks/date=2013-10-07/symbol=SPY/part-stray.parquet", "unknown") in kinds
    assert report.checked == len(entries)
    jsonl_report = verify_archive(archiver, use_jsonl=True)
    assert {p.what for p in jsonl_report.problems} == {"tampered", "missing", "unknown"}
    with pytest.raises(StorageError, match="does not match its SHA-256"):
        restore(archiver, date(2013, 10, 7), date(2013, 10, 9))


def test_restore_is_idempotent_and_rearchiving_adds_no_file(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, original = seeded
    archiver = Archiver(engine, tmp_path / "archive")
    archiver.run(CUTOFF)
    files_before = sorted(p.name for p in (tmp_path / "archive").rglob("*.parquet"))
    only_spy = restore(archiver, date(2013, 10, 8), date(2013, 10, 8), "SPY")
    assert only_spy.files == 1
    assert only_spy.rows_inserted == only_spy.rows_in_files > 0
    full = restore(archiver, date(2013, 10, 7), date(2013, 10, 9))
    assert full.files == 6
    assert full.rows_inserted == full.rows_in_files - only_spy.rows_in_files
    assert restore(archiver, date(2013, 10, 7), date(2013, 10, 9)).rows_inserted == 0
    assert sorted(db_ticks(engine)) == sorted(original)
    report = archiver.run(CUTOFF)
    assert report.files_written == 0
    assert report.rows_purged == full.rows_in_files
    assert sorted(p.name for p in (tmp_path / "archive").rglob("*.parquet")) == files_before
    with pytest.raises(StorageError, match="after --to"):
        restore(archiver, date(2013, 10, 9), date(2013, 10, 7))


def test_late_ticks_of_an_archived_day_go_to_a_second_file(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, original = seeded
    archiver = Archiver(engine, tmp_path / "archive")
    archiver.run(CUTOFF)
    late = [("SPY", to_us(datetime(2013, 10, 8, 15, 0, 0, 123, tzinfo=UTC)), 5, 99.5, 10.0, "P", "", "late", None)]
    insert_ticks(engine, late)
    report = archiver.run(CUTOFF)
    assert (report.files_written, report.rows_archived) == (1, 1)
    spy = archiver.entries(symbol="SPY", day=date(2013, 10, 8))
    assert len(spy) == 2
    assert sorted(db_ticks(engine) + archived_rows(archiver)) == sorted(original + late)


STEPS = ["file-written", "manifest-written", "jsonl-written", "verified", "purge:deleted", "purged",
         "purged-already-archived", "recovered"]


@pytest.mark.parametrize("crash_at", range(1, 38, 5))
def test_an_interrupted_run_converges(seeded: tuple[Engine, list], tmp_path: Path, crash_at: int) -> None:
    engine, original = seeded
    seen: list[str] = []

    def hook(step: str) -> None:
        seen.append(step)
        if len(seen) == crash_at:
            raise Crash(step)

    crashed = Archiver(engine, tmp_path / "archive", on_step=hook)
    with pytest.raises(Crash):
        crashed.run(CUTOFF)
    assert sorted(set(db_ticks(engine)) | set(archived_rows(crashed))) == sorted(original)
    archiver = Archiver(engine, tmp_path / "archive")
    archiver.run(CUTOFF)
    db = db_ticks(engine)
    arc = archived_rows(archiver)
    assert len(db) + len(arc) == len(original)
    assert sorted(db + arc) == sorted(original)
    assert verify_archive(archiver).ok
    assert {e.state for e in archiver.entries()} == {"purged"}


def test_rows_changed_after_writing_are_never_deleted(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, _ = seeded

    def stop_after_manifest(step: str) -> None:
        if step == "manifest-written":
            raise Crash(step)

    with pytest.raises(Crash):
        Archiver(engine, tmp_path / "archive", on_step=stop_after_manifest).run(CUTOFF)
    (entry,) = Archiver(engine, tmp_path / "archive").entries()
    with engine.begin() as conn:
        conn.execute(update(TickRow).where(TickRow.symbol == entry.symbol, TickRow.ts == entry.min_ts)
                     .values(price=1.0))
    before = len(db_ticks(engine))
    with pytest.raises(StorageError, match="differ from the archived copy"):
        Archiver(engine, tmp_path / "archive").run(CUTOFF)
    assert len(db_ticks(engine)) == before
    with engine.connect() as conn:
        state = conn.execute(select(ArchiveFileRow.state).where(ArchiveFileRow.path == entry.path)).scalar()
    assert state == "verified"  # the file is sound; the changed rows stay


def test_a_second_run_at_the_same_time_is_refused(seeded: tuple[Engine, list], tmp_path: Path) -> None:
    engine, _ = seeded
    archiver = Archiver(engine, tmp_path / "archive")
    with archiver.lock(), pytest.raises(StorageError, match="another archive run holds"):
        Archiver(engine, tmp_path / "archive").run(CUTOFF)


def test_timestamps_round_trip_to_the_microsecond(sqlite_engine: Engine, tmp_path: Path) -> None:
    ts = datetime(2013, 10, 7, 13, 30, 0, 1, tzinfo=UTC)
    row = ("SPY", to_us(ts), 0, 168.95, 100.0, "P", "1", "x", to_us(ts) + 7)
    insert_ticks(sqlite_engine, [row])
    archiver = Archiver(sqlite_engine, tmp_path / "a")
    archiver.run(CUTOFF)
    (e,) = archiver.entries()
    assert e.min_ts == e.max_ts == from_us(row[1]) == ts
    assert read_rows(archiver.file_path(e)) == [row]


def test_a_symbol_that_cannot_name_a_folder_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    ts = to_us(datetime(2013, 10, 7, 13, 30, tzinfo=UTC))
    insert_ticks(sqlite_engine, [("../X", ts, 0, 1.0, 1.0, "", "", "", None)])
    with pytest.raises(StorageError, match="cannot name an archive folder"):
        Archiver(sqlite_engine, tmp_path / "a").run(CUTOFF)
    assert len(db_ticks(sqlite_engine)) == 1
    assert not (tmp_path / "X").exists()
