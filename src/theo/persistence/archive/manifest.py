"""The archive manifest: rows of ``archive_files`` mirrored to an append-only ``manifest.jsonl``.

The database is the manifest of record; ``manifest.jsonl`` beside the files carries the same facts so the
archive can be checked without the database. Every state change appends one line; a line cut short by a
crash is skipped by readers and never written after.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from theo.core.time import from_us, to_us
from theo.persistence.models.futures import ArchiveFileRow

MANIFEST_NAME = "manifest.jsonl"
STATES = ("written", "verified", "purged")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """What the manifest says about one archive file."""

    path: str
    kind: str
    symbol: str
    day: date
    rows: int
    sha256: str
    content_sha256: str
    min_ts: datetime
    max_ts: datetime
    state: str

    def with_state(self, state: str) -> FileEntry:
        return replace(self, state=state)

    @classmethod
    def from_row(cls, row: ArchiveFileRow) -> FileEntry:
        return cls(row.path, row.kind, row.symbol, row.day, row.rows, row.sha256, row.content_sha256, row.min_ts,
                   row.max_ts, row.state)

    def to_json(self, at: datetime) -> dict[str, Any]:
        return {"event": self.state, "path": self.path, "kind": self.kind, "symbol": self.symbol,
                "date": self.day.isoformat(), "rows": self.rows, "sha256": self.sha256,
                "content_sha256": self.content_sha256, "min_ts_us": to_us(self.min_ts),
                "max_ts_us": to_us(self.max_ts), "at": at.isoformat()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FileEntry:
        return cls(str(d["path"]), str(d["kind"]), str(d["symbol"]), date.fromisoformat(d["date"]), int(d["rows"]),
                   str(d["sha256"]), str(d["content_sha256"]), from_us(int(d["min_ts_us"])),
                   from_us(int(d["max_ts_us"])), str(d["event"]))


class JsonlManifest:
    """The append-only manifest file of one archive directory."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / MANIFEST_NAME

    def read(self) -> tuple[list[FileEntry], int]:
        """Every readable entry in order, and how many lines were unreadable (a cut-short last line)."""
        if not self.path.exists():
            return [], 0
        entries: list[FileEntry] = []
        bad = 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                entries.append(FileEntry.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                bad += 1
        return entries, bad

    def latest(self) -> dict[str, FileEntry]:
        """The last state of every file named in the manifest."""
        entries, _ = self.read()
        return {e.path: e for e in entries}

    def append(self, entry: FileEntry, at: datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry.to_json(at), sort_keys=True) + "\n"
        with self.path.open("ab") as f:
            # A crash may have cut the previous line short: start on a fresh line so this one stays whole.
            if f.tell() > 0:
                with self.path.open("rb") as r:
                    r.seek(-1, os.SEEK_END)
                    if r.read(1) != b"\n":
                        f.write(b"\n")
            f.write(line.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
