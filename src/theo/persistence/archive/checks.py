"""Check the archive against its manifest, and bring archived ticks back into the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from theo.core.errors import StorageError
from theo.persistence.archive.files import TMP_SUFFIX, file_sha256, is_read_only, row_count
from theo.persistence.archive.manifest import FileEntry
from theo.persistence.archive.service import KIND, Archiver
from theo.persistence.archive.ticks import count_between, insert_missing
from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    what: str  # missing | tampered | rows | unknown | writable | manifest
    detail: str


@dataclass
class VerifyReport:
    checked: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.what != "writable" for p in self.problems)


def verify_archive(archiver: Archiver, *, use_jsonl: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> VerifyReport:
    """Recompute every file's SHA-256 and row count; report missing, changed and unrecorded files.

    ``progress(files checked, files listed)`` is called after each file.

    ``use_jsonl`` checks against ``manifest.jsonl`` alone (no database needed). A file that lost its
    read-only mode is reported as a warning (``writable``) but does not fail the check by itself.
    """
    report = VerifyReport()
    if use_jsonl:
        entries = list(archiver.jsonl.latest().values())
        _, bad = archiver.jsonl.read()
        if bad:
            report.problems.append(Problem(archiver.jsonl.path.name, "manifest",
                                           f"{bad} unreadable line(s) (a write cut short by a crash?)"))
    else:
        entries = archiver.entries()
    known = set()
    for i, entry in enumerate(entries, 1):
        known.add(entry.path)
        _check_file(archiver, entry, report)
        if progress is not None:
            progress(i, len(entries))
    root = archiver.directory / KIND
    if root.exists():
        for path in sorted(root.rglob("*.parquet")):
            rel = path.relative_to(archiver.directory).as_posix()
            if rel not in known and not path.name.endswith(TMP_SUFFIX):
                report.problems.append(Problem(rel, "unknown", "file is not in the manifest"))
    return report


def _check_file(archiver: Archiver, entry: FileEntry, report: VerifyReport) -> None:
    path = archiver.file_path(entry)
    report.checked += 1
    if not path.is_file():
        report.problems.append(Problem(entry.path, "missing", f"file listed as {entry.state} is not on disk"))
        return
    sha = file_sha256(path)
    if sha != entry.sha256:
        report.problems.append(Problem(entry.path, "tampered", f"SHA-256 {sha[:16]}… != manifest {entry.sha256[:16]}…"))
        return
    try:
        n = row_count(path)
    except (OSError, ValueError) as exc:
        report.problems.append(Problem(entry.path, "tampered", f"unreadable Parquet: {exc}"))
        return
    if n != entry.rows:
        report.problems.append(Problem(entry.path, "rows", f"{n} rows != manifest {entry.rows}"))
        return
    report.rows += n
    if not is_read_only(path):
        report.problems.append(Problem(entry.path, "writable", "file is writable; expected mode 0444"))


@dataclass
class RestoreReport:
    files: int = 0
    rows_in_files: int = 0
    rows_inserted: int = 0


def restore(archiver: Archiver, first: date, last: date, symbol: str | None = None) -> RestoreReport:
    """Re-insert archived ticks of dates ``first``..``last`` (New York dates); rows already present stay."""
    if last < first:
        raise StorageError(f"--from {first} is after --to {last}; give an increasing date range")
    report = RestoreReport()
    with archiver.lock():
        for entry in archiver.entries(states=("verified", "purged"), symbol=symbol):
            if not first <= entry.day <= last:
                continue
            rows = archiver.trusted_rows(entry)
            with transaction(archiver.engine) as s:
                conn = s.connection()
                before = count_between(conn, entry.symbol, entry.min_ts, entry.max_ts)
                insert_missing(conn, rows)
                after = count_between(conn, entry.symbol, entry.min_ts, entry.max_ts)
            report.files += 1
            report.rows_in_files += len(rows)
            report.rows_inserted += after - before
        with transaction(archiver.engine) as s:
            s.add(AuditLogRow(ts=archiver.now(), actor="theo archive", action="archive.restore",
                              detail={"from": first.isoformat(), "to": last.isoformat(), "symbol": symbol,
                                      "files": report.files, "rows_inserted": report.rows_inserted}))
    return report
