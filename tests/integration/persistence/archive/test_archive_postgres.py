"""The archive protocol on PostgreSQL (timestamptz, ON CONFLICT DO NOTHING, batched deletes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.unit.persistence.archive.seed import db_ticks, insert_ticks, make_ticks
from theo.core.time import to_us
from theo.persistence.archive import Archiver, et_midnight, restore, verify_archive
from theo.persistence.archive.files import read_rows


class Crash(Exception):
    pass


def test_archive_restore_and_recovery_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    original = make_ticks(2000, days=4)
    insert_ticks(pg_engine, original)
    cutoff = et_midnight(date(2013, 10, 9))

    def stop(step: str) -> None:
        if step == "purge:deleted":
            raise Crash(step)

    with pytest.raises(Crash):
        Archiver(pg_engine, tmp_path / "a", on_step=stop).run(cutoff)
    assert sorted(db_ticks(pg_engine)) == sorted(original)  # the purge transaction rolled back
    archiver = Archiver(pg_engine, tmp_path / "a")
    report = archiver.run(cutoff)
    assert report.files_recovered == 1
    archived = [r for e in archiver.entries() for r in read_rows(archiver.file_path(e))]
    assert sorted(db_ticks(pg_engine) + archived) == sorted(original)
    cut_us = to_us(cutoff)
    assert archived
    assert all(r[1] < cut_us for r in archived)
    assert all(r[1] >= cut_us for r in db_ticks(pg_engine))
    assert verify_archive(archiver).ok
    again = restore(archiver, date(2013, 10, 7), date(2013, 10, 8))
    assert again.rows_inserted == len(archived)
    assert restore(archiver, date(2013, 10, 7), date(2013, 10, 8)).rows_inserted == 0
    assert sorted(db_ticks(pg_engine)) == sorted(original)
    rerun = archiver.run(cutoff)  # restored rows are proven by the files: deleted, no new file
    assert rerun.files_written == 0
    assert rerun.rows_purged == len(archived)
    assert sorted(db_ticks(pg_engine) + archived) == sorted(original)
