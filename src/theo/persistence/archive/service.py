"""Move old ticks to write-once Parquet files, proving every file before its rows leave the database.

One file holds the ticks of one symbol on one America/New_York calendar date that are older than the
cutoff. Each file goes through three states, each committed before the next step starts:

``written``   the file is on disk (temp file, fsync, atomic rename, chmod 0444) and in the manifest;
``verified``  re-read: its SHA-256, row count and row digest match the manifest and the database rows;
``purged``    its rows were deleted in the same transaction that recorded this state.

A run killed at any moment converges on the next run: leftover temporary files and files the manifest
never recorded are removed (their rows are still in the database), ``written`` files are verified,
``verified`` files purged. Rows are only ever deleted when a verified file holds them exactly.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from theo.core.calendar import ET
from theo.core.errors import StorageError
from theo.core.time import from_us
from theo.persistence.archive.files import TMP_SUFFIX, TickTuple, content_digest, file_sha256, read_rows, write_once
from theo.persistence.archive.manifest import FileEntry, JsonlManifest
from theo.persistence.archive.ticks import count_before, delete_rows, first_ts, select_rows, symbols_between
from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.models.futures import ArchiveFileRow

StepHook = Callable[[str], None]
_SAFE_SYMBOL = re.compile(r"^[A-Za-z0-9._=-]+$")
KIND = "ticks"


def et_midnight(day: date) -> datetime:
    """Start of ``day`` in America/New_York, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=ET).astimezone(UTC)


def cutoff_for(now: datetime, older_than: timedelta) -> datetime:
    """Ticks before this instant are archived: ``now - older_than`` floored to New York midnight,
    so every file holds whole days."""
    return et_midnight((now - older_than).astimezone(ET).date())


@dataclass
class RunReport:
    cutoff: datetime
    files_written: int = 0
    rows_archived: int = 0
    rows_purged: int = 0
    files_recovered: int = 0
    orphans_removed: int = 0


class Archiver:
    """Archive, verify and restore the ticks of one store into one archive directory.

    ``on_step`` is called with a step name after each durable step (used by the crash test to stop the
    process at every point of the protocol).
    """

    def __init__(self, engine: Engine, directory: Path, *, compression: str = "zstd",
                 on_step: StepHook | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.directory = directory
        self.compression = compression
        self.jsonl = JsonlManifest(directory)
        self._on_step = on_step
        self._now = clock or (lambda: datetime.now(UTC))

    @classmethod
    def offline(cls, directory: Path) -> Archiver:
        """An archiver of ``directory`` alone, for checks against ``manifest.jsonl`` that need no database."""
        from sqlalchemy import create_engine

        return cls(create_engine("sqlite://"), directory)

    def now(self) -> datetime:
        return self._now()

    def _step(self, name: str) -> None:
        if self._on_step is not None:
            self._on_step(name)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the archive directory's lock; a second concurrent run is refused."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StorageError(f"another archive run holds {self.directory / '.lock'}; wait for it to finish") \
                    from None
            yield
        finally:
            os.close(fd)

    # -- manifest --------------------------------------------------------------------------------------------
    def entries(self, *, states: tuple[str, ...] | None = None, symbol: str | None = None,
                day: date | None = None) -> list[FileEntry]:
        """Manifest entries (all, or of some states, one symbol, one date) by date, symbol and age."""
        with transaction(self.engine) as s:
            q = select(ArchiveFileRow).order_by(ArchiveFileRow.day, ArchiveFileRow.symbol, ArchiveFileRow.id)
            if states is not None:
                q = q.where(ArchiveFileRow.state.in_(states))
            if symbol is not None:
                q = q.where(ArchiveFileRow.symbol == symbol)
            if day is not None:
                q = q.where(ArchiveFileRow.day == day)
            return [FileEntry.from_row(r) for r in s.scalars(q)]

    def _set_state(self, entry: FileEntry, state: str, *, purge_rows: list[TickTuple] | None = None) -> FileEntry:
        """Record a new state; with ``purge_rows`` delete them in the same transaction."""
        now = self._now()
        with transaction(self.engine) as s:
            row = s.scalars(select(ArchiveFileRow).where(ArchiveFileRow.path == entry.path)).one()
            if purge_rows is not None:
                self._check_rows_match(s.connection(), entry, purge_rows)
                delete_rows(s.connection(), purge_rows)
                self._step("purge:deleted")
            row.state = state
            row.updated_at = now
        new = entry.with_state(state)
        self.jsonl.append(new, now)
        return new

    def _check_rows_match(self, conn: Connection, entry: FileEntry, rows: list[TickTuple]) -> None:
        """Narrow ``rows`` to those still in the database; refuse if any of them changed since archiving."""
        wanted = set(rows)
        keys = {(r[0], r[1], r[2]) for r in rows}
        present = [r for r in select_rows(conn, entry.symbol, entry.min_ts, entry.max_ts, inclusive=True,
                                          for_update=True) if (r[0], r[1], r[2]) in keys]
        changed = [r for r in present if r not in wanted]
        if changed:
            raise StorageError(f"{entry.path}: {len(changed)} database tick(s) differ from the archived copy "
                               f"(first at ts_us={changed[0][1]}); nothing deleted, inspect before re-running")
        rows[:] = present

    def _sync_jsonl(self) -> None:
        """Append to ``manifest.jsonl`` any state the database recorded but the file missed (crash between)."""
        logged = {(e.path, e.state) for e in self.jsonl.read()[0]}
        for entry in self.entries():
            order = ("written", "verified", "purged")
            for state in order[:order.index(entry.state) + 1]:
                if (entry.path, state) not in logged:
                    self.jsonl.append(entry.with_state(state), self._now())

    # -- files ------------------------------------------------------------------------------------------------
    def file_path(self, entry: FileEntry) -> Path:
        return self.directory / entry.path

    def trusted_rows(self, entry: FileEntry) -> list[TickTuple]:
        """The rows of a manifest file after checking its SHA-256, row count and row digest."""
        path = self.file_path(entry)
        if not path.is_file():
            raise StorageError(f"archive file {path} is missing; run `theo archive verify`")
        if file_sha256(path) != entry.sha256:
            raise StorageError(f"archive file {path} does not match its SHA-256 in the manifest (tampered?); "
                               "run `theo archive verify`")
        rows = read_rows(path)
        if len(rows) != entry.rows or content_digest(rows) != entry.content_sha256:
            raise StorageError(f"archive file {path} rows do not match the manifest; run `theo archive verify`")
        return rows

    def _remove_orphans(self) -> int:
        """Delete temp files and files no manifest recorded: a crash cut their run short before
        the manifest row was committed, so their rows are all still in the database."""
        root = self.directory / KIND
        if not root.exists():
            return 0
        known = {e.path for e in self.entries()}
        logged = set(self.jsonl.latest())
        removed = 0
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(self.directory).as_posix()
            if path.name.endswith(TMP_SUFFIX) or (rel not in known and rel not in logged):
                path.unlink()
                removed += 1
        return removed

    # -- run --------------------------------------------------------------------------------------------------
    def run(self, cutoff: datetime, progress: Callable[[int, int], None] | None = None) -> RunReport:
        """Archive every tick older than ``cutoff`` (UTC); first finish whatever a previous run left.

        ``progress(rows archived, rows to archive)`` is called after each file (one symbol and day).
        """
        report = RunReport(cutoff)
        with self.lock():
            report.orphans_removed = self._remove_orphans()
            self._sync_jsonl()
            for entry in self.entries(states=("written", "verified")):
                report.rows_purged += self._finish(entry)
                report.files_recovered += 1
            self._step("recovered")
            total = 0
            if progress is not None:
                with self.engine.connect() as conn:
                    total = count_before(conn, cutoff)
                progress(0, total)
            lower: datetime | None = None
            while True:
                with self.engine.connect() as conn:
                    first = first_ts(conn, at_or_after=lower, before=cutoff)
                if first is None:
                    break
                day = first.astimezone(ET).date()
                lo, hi = et_midnight(day), min(et_midnight(day + timedelta(days=1)), cutoff)
                with self.engine.connect() as conn:
                    symbols = symbols_between(conn, lo, hi)
                for symbol in symbols:
                    self._archive_partition(symbol, day, lo, hi, report)
                    if progress is not None:
                        progress(report.rows_archived, total)
                lower = hi
            with transaction(self.engine) as s:
                s.add(AuditLogRow(ts=self._now(), actor="theo archive", action="archive.run",
                                  detail={"cutoff": cutoff.isoformat(), "files_written": report.files_written,
                                          "rows_archived": report.rows_archived, "rows_purged": report.rows_purged,
                                          "files_recovered": report.files_recovered}))
        return report

    def _finish(self, entry: FileEntry) -> int:
        """Take a ``written`` or ``verified`` file to ``purged``; return how many rows left the database."""
        # Verification: the file re-read from disk has the manifest's SHA-256, row count and row digest,
        # and that digest was computed from the database rows when the file was written. The purge
        # transaction compares the rows with the database once more before deleting anything.
        rows = self.trusted_rows(entry)
        if entry.state == "written":
            entry = self._set_state(entry, "verified")
            self._step("verified")
        purge = list(rows)
        self._set_state(entry, "purged", purge_rows=purge)
        self._step("purged")
        return len(purge)

    def _archive_partition(self, symbol: str, day: date, lo: datetime, hi: datetime, report: RunReport) -> None:
        with self.engine.connect() as conn:
            rows = select_rows(conn, symbol, lo, hi)
        if not rows:
            return
        proven: set[TickTuple] = set()
        for entry in self.entries(states=("verified", "purged"), symbol=symbol, day=day):
            proven.update(self.trusted_rows(entry))
        if any(r in proven for r in rows):
            # Restored or re-imported ticks that a verified file already holds: delete, do not re-archive.
            with transaction(self.engine) as s:
                current = select_rows(s.connection(), symbol, lo, hi, for_update=True)
                already = [r for r in current if r in proven]
                delete_rows(s.connection(), already)
            report.rows_purged += len(already)
            self._step("purged-already-archived")
            rows = [r for r in rows if r not in proven]
        fresh = rows
        if not fresh:
            return
        if not _SAFE_SYMBOL.match(symbol):
            raise StorageError(f"tick symbol {symbol!r} cannot name an archive folder (letters, digits, '.', '_', "
                               "'-' and '=' only); rename it in the ticks table before archiving")
        digest = content_digest(fresh)
        rel = f"{KIND}/date={day.isoformat()}/symbol={symbol}/part-{digest[:16]}.parquet"
        sha = write_once(self.directory / rel, fresh, self.compression)
        self._step("file-written")
        now = self._now()
        entry = FileEntry(rel, KIND, symbol, day, len(fresh), sha, digest,
                          from_us(fresh[0][1]), from_us(fresh[-1][1]), "written")
        with transaction(self.engine) as s:
            s.add(ArchiveFileRow(path=rel, kind=KIND, symbol=symbol, day=day, rows=len(fresh), sha256=sha,
                                 content_sha256=digest, min_ts=entry.min_ts, max_ts=entry.max_ts, state="written",
                                 created_at=now, updated_at=now))
        self._step("manifest-written")
        self.jsonl.append(entry, now)
        self._step("jsonl-written")
        report.files_written += 1
        report.rows_archived += len(fresh)
        report.rows_purged += self._finish(entry)
