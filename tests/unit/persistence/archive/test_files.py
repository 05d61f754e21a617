"""Archive files: write once, read back exactly, digests that see any change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from theo.core.errors import StorageError
from theo.persistence.archive.config import ArchiveConfig, parse_age
from theo.persistence.archive.files import (
    TickTuple,
    content_digest,
    file_sha256,
    is_read_only,
    read_rows,
    row_count,
    write_once,
)
from theo.persistence.archive.manifest import JsonlManifest

ROWS: list[TickTuple] = [
    ("SPY", 1_381_152_600_000_000, 0, 168.95, 100.0, "P", "1", "lean", None),
    ("SPY", 1_381_152_600_000_000, 1, 168.96, 2_500.0, "Q", "", "lean", 1_381_152_600_123_456),
    ("SPY", 1_381_152_601_500_000, 0, 0.1 + 0.2, 1.0, "D", "4|@", "lean", None),
]


def test_write_once_round_trips_every_field(tmp_path: Path) -> None:
    path = tmp_path / "ticks" / "date=2013-10-07" / "symbol=SPY" / "part-x.parquet"
    sha = write_once(path, ROWS)
    assert sha == file_sha256(path)
    assert read_rows(path) == ROWS
    assert row_count(path) == 3
    assert is_read_only(path)
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    assert not list(path.parent.glob("*.tmp"))


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_once(path, ROWS)
    with pytest.raises(StorageError, match="written once"):
        write_once(path, ROWS[:1])
    assert read_rows(path) == ROWS


def test_content_digest_sees_any_change() -> None:
    base = content_digest(ROWS)
    assert base == content_digest(list(ROWS))
    changed_price = [(*ROWS[0][:3], 168.950000001, *ROWS[0][4:]), *ROWS[1:]]
    changed_source = [(*ROWS[0][:7], "leanx", None), *ROWS[1:]]
    assert content_digest(changed_price) != base
    assert content_digest(changed_source) != base
    assert content_digest(ROWS[:2]) != base
    # A string boundary cannot move unnoticed.
    a = [("S", 1, 0, 1.0, 1.0, "AB", "", "x", None)]
    b = [("S", 1, 0, 1.0, 1.0, "A", "B", "x", None)]
    assert content_digest(a) != content_digest(b)


def test_unreadable_file_is_a_storage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(StorageError, match="cannot be read as Parquet"):
        read_rows(bad)


def test_jsonl_skips_a_line_cut_short_and_keeps_appending(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    from theo.persistence.archive.manifest import FileEntry

    m = JsonlManifest(tmp_path)
    t = datetime(2026, 11, 24, tzinfo=UTC)
    e = FileEntry("ticks/x.parquet", "ticks", "SPY", date(2013, 10, 7), 3, "a" * 64, "b" * 64, t, t, "written")
    m.append(e, t)
    with m.path.open("ab") as f:
        f.write(b'{"event": "verif')  # a crash mid-line
    m.append(e.with_state("verified"), t)
    entries, bad = m.read()
    assert bad == 1
    assert [x.state for x in entries] == ["written", "verified"]
    assert m.latest()["ticks/x.parquet"] == e.with_state("verified")


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("2w", 14), ("36h", 1.5), (" 7 d ", 7)])
def test_parse_age(text: str, days: float) -> None:
    assert parse_age(text).total_seconds() == days * 86_400


def test_bad_age_names_the_value() -> None:
    with pytest.raises(ValueError, match="age '30 days' not understood"):
        parse_age("30 days")
    with pytest.raises(ValueError, match="older_than"):
        ArchiveConfig(older_than="soon")


def test_directory_defaults_under_data_dir() -> None:
    assert ArchiveConfig().resolve_directory(Path("var")) == Path("var/archive")
    assert ArchiveConfig(directory=Path("/cold")).resolve_directory(Path("var")) == Path("/cold")


def test_os_really_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_once(path, ROWS)
    if os.geteuid() == 0:
        pytest.skip("root ignores file modes")
    with pytest.raises(PermissionError):
        path.open("ab")
