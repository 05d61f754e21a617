"""Engine runs in SQL: the ``engine_runs`` row of each ``theo run`` and its journal of signal outcomes.

Journal rows are keyed by the run lineage and the signal, and written with an upsert, so replaying the same
signals after a crash rewrites the same rows instead of adding duplicates.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite

from theo.model.enums import RunStatus
from theo.persistence.db import transaction
from theo.persistence.models.engine import EngineJournalRow, EngineRunRow


class SqlRunStore:
    """Rows of ``engine_runs`` and ``engine_journal``."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def latest(self, run_id: int | None = None) -> dict[str, Any] | None:
        """The latest run (or ``run_id``) as a plain dict, ``None`` when there is none."""
        q = select(EngineRunRow).order_by(EngineRunRow.id.desc()).limit(1)
        if run_id is not None:
            q = select(EngineRunRow).where(EngineRunRow.id == run_id)
        return self._first(q)

    def checkpointed(self) -> dict[str, Any] | None:
        """The newest run that wrote a checkpoint (a run killed before its first one has an empty state)."""
        return self._first(select(EngineRunRow).where(EngineRunRow.state.not_in(("", "{}")))
                           .order_by(EngineRunRow.id.desc()).limit(1))

    def _first(self, q: Select[Any]) -> dict[str, Any] | None:
        with transaction(self.db) as s:
            row = s.scalars(q).first()
            if row is None:
                return None
            return {"id": row.id, "mode": row.mode, "feed": row.feed, "status": row.status, "started": row.started,
                    "stopped": row.stopped, "heartbeat": row.heartbeat, "pid": row.pid,
                    "config_digest": row.config_digest, "counters": json.loads(row.counters or "{}"),
                    "state": json.loads(row.state or "{}")}

    def open(self, mode: str, feed: str, digest: str, now: datetime, *, crashed: int | None) -> int:
        """Insert a new ``running`` row (marking ``crashed`` as such); return its id."""
        with transaction(self.db) as s:
            if crashed is not None:
                s.execute(update(EngineRunRow).where(EngineRunRow.id == crashed).values(status=RunStatus.CRASHED.value))
            row = EngineRunRow(mode=mode, feed=feed, status=RunStatus.RUNNING.value, started=now, stopped=None,
                               heartbeat=now, pid=os.getpid(), config_digest=digest, counters="{}", state="{}")
            s.add(row)
            s.flush()
            return int(row.id)

    def write(self, run_id: int, rows: list[dict[str, Any]], now: datetime, counters: dict[str, Any],
              state: dict[str, Any], status: str, stopped: datetime | None) -> None:
        """Upsert journal rows and update the run row, in one transaction."""
        with transaction(self.db) as s:
            if rows:
                dialect = self.db.dialect.name
                ins = (postgresql.insert(EngineJournalRow) if dialect == "postgresql"
                       else sqlite.insert(EngineJournalRow))
                stmt = ins.on_conflict_do_update(index_elements=["kind", "key"],
                                                 set_={"payload": ins.excluded.payload, "run_id": ins.excluded.run_id})
                s.execute(stmt, [{**r, "run_id": run_id} for r in rows])
            s.execute(update(EngineRunRow).where(EngineRunRow.id == run_id).values(
                heartbeat=now, counters=json.dumps(counters, sort_keys=True), state=json.dumps(state, sort_keys=True),
                status=status, stopped=stopped))

    def journal(self, kind: str, lineage: int, limit: int | None = None) -> list[dict[str, Any]]:
        """Payloads of a lineage's journal rows of ``kind``, oldest first (``limit``: the newest only)."""
        with transaction(self.db) as s:
            q = select(EngineJournalRow.payload).where(EngineJournalRow.kind == kind,
                                                       EngineJournalRow.key.like(f"{lineage}:%"))
            if limit is not None:
                q = q.order_by(EngineJournalRow.ts.desc(), EngineJournalRow.id.desc()).limit(limit)
                return [json.loads(p) for p in reversed(list(s.scalars(q)))]
            return [json.loads(p) for p in s.scalars(q.order_by(EngineJournalRow.ts, EngineJournalRow.id))]

    def journal_of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Payloads of every run's journal rows of ``kind``, newest first."""
        with transaction(self.db) as s:
            q = (select(EngineJournalRow.payload).where(EngineJournalRow.kind == kind)
                 .order_by(EngineJournalRow.ts.desc(), EngineJournalRow.id.desc()))
            return [json.loads(p) for p in s.scalars(q)]
