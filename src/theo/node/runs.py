"""Persistence of ``theo run``: the ``engine_runs`` row (status, heartbeat, checkpoint) and the run journal.

Journal rows are keyed by the run lineage and the record id, and written with an upsert, so replaying the
same events after a crash rewrites the same rows instead of adding duplicates.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.execution.lock import pid_alive
from theo.node.records import OrderRecord, SignalRecord, TradeRecord
from theo.persistence.db import transaction
from theo.persistence.models.engine import EngineJournalRow, EngineRunRow


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record_entry(lineage: int, kind: str, record: object) -> tuple[str, datetime, str]:
    """Key, time and JSON payload of a journal record."""
    if isinstance(record, SignalRecord):
        s = record.signal
        key = f"{lineage}:{s.strategy}:{s.symbol}:{s.side.value}:{int(s.exit)}:{s.ts.isoformat()}"
        return key, s.ts, json.dumps(_plain(record), sort_keys=True)
    if isinstance(record, OrderRecord):
        return f"{lineage}:{record.id}", record.created, json.dumps(_plain(record), sort_keys=True)
    if isinstance(record, TradeRecord):
        return f"{lineage}:{record.id}", record.entry_ts, json.dumps(_plain(record), sort_keys=True)
    raise TypeError(f"cannot journal {kind} {record!r}")


class RunStore:
    """Writes one run's row and journal; buffered, flushed at each checkpoint."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.run_id = 0
        self.lineage = 0
        self._buffer: dict[tuple[str, str], tuple[datetime, str]] = {}

    # --------------------------------------------------------------------------------------- lifecycle
    def latest(self) -> EngineRunRow | None:
        with transaction(self.db) as s:
            row = s.scalars(select(EngineRunRow).order_by(EngineRunRow.id.desc()).limit(1)).first()
            if row is not None:
                s.expunge(row)
            return row

    def start(self, mode: str, feed: str, digest: str, now: datetime, stale_after: float) -> dict[str, Any]:
        """Open a run row; return the checkpoint to resume from ({} for a fresh start)."""
        last = self.latest()
        if last is not None and last.status == "running" and pid_alive(last.pid) and last.pid != os.getpid() and \
                now - last.heartbeat < timedelta(seconds=stale_after):
            raise StorageError(f"another theo run (pid {last.pid}, run {last.id}) is running on this database; "
                               "stop it first (Ctrl-C or kill -TERM) or use another data_dir")
        state: dict[str, Any] = {}
        if last is not None and last.config_digest == digest and last.feed == feed and last.mode == mode:
            state = json.loads(last.state or "{}")
        with transaction(self.db) as s:
            if last is not None and last.status == "running":  # its process is gone: it crashed
                s.execute(update(EngineRunRow).where(EngineRunRow.id == last.id).values(status="crashed"))
            row = EngineRunRow(mode=mode, feed=feed, status="running", started=now, stopped=None, heartbeat=now,
                               pid=os.getpid(), config_digest=digest, counters="{}", state="{}")
            s.add(row)
            s.flush()
            self.run_id = int(row.id)
        self.lineage = int(state.get("lineage", self.run_id))
        return state

    def on_record(self, kind: str, record: object) -> None:
        key, ts, payload = record_entry(self.lineage, kind, record)
        self._buffer[(kind, key)] = (ts, payload)

    def flush(self, now: datetime, counters: dict[str, Any], state: dict[str, Any], status: str = "running",
              stopped: datetime | None = None) -> None:
        """Write buffered journal rows and the checkpoint in one transaction."""
        rows = [{"run_id": self.run_id, "kind": k, "key": key, "ts": ts, "payload": p}
                for (k, key), (ts, p) in self._buffer.items()]
        state = {**state, "lineage": self.lineage}
        with transaction(self.db) as s:
            if rows:
                dialect = self.db.dialect.name
                ins = (postgresql.insert(EngineJournalRow) if dialect == "postgresql"
                       else sqlite.insert(EngineJournalRow))
                stmt = ins.on_conflict_do_update(index_elements=["kind", "key"],
                                                 set_={"payload": ins.excluded.payload, "run_id": ins.excluded.run_id})
                s.execute(stmt, rows)
            s.execute(update(EngineRunRow).where(EngineRunRow.id == self.run_id).values(
                heartbeat=now, counters=json.dumps(counters, sort_keys=True), state=json.dumps(state, sort_keys=True),
                status=status, stopped=stopped))
        self._buffer.clear()


def wall_now() -> datetime:
    return datetime.now(UTC)
