"""The journal, the service and the single-writer lock on PostgreSQL (the production store)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.unit.execution.helpers import T0, bar, make_rig, minute, req
from theo.core.errors import SingleWriterLockError
from theo.execution.lock import SingleWriterLock
from theo.model.enums import OrderStatus as S
from theo.model.enums import TimeInForce
from theo.persistence.repositories.leases import LeaseRepository

D = Decimal


def test_order_flow_on_postgresql(pg_engine: Engine, tmp_path: Path) -> None:
    rig = make_rig(tmp_path, engine=pg_engine)
    svc = rig.service
    buy = svc.create_order(req("BUY", 300))
    br = svc.create_bracket_order(req("BUY", 100, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                  D("270.50"), D("271.30"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.feed(bar(minute(1), 271.32, 271.40, 271.22, 271.24))
    assert buy.avg_fill_price == D("271.19")
    assert (br.entry.status, br.target.status, br.stop.status) == (S.FILLED, S.FILLED, S.CANCELLED)
    stored = rig.journal.load_order(br.target.client_order_id)
    assert stored is not None
    assert stored.avg_fill_price == D("271.32")  # opened above the 271.30 target
    assert stored.fills[0].charges.total == D("1.03")
    assert rig.journal.positions() == {"SPY": D(300)}
    # replaying every event changes nothing; a fill is stored once
    before = len(rig.journal.fills())
    for event in list(rig.events):
        svc.on_broker_event(event)
    assert len(rig.journal.fills()) == before == 3


def test_single_writer_lock_on_postgresql(pg_engine: Engine) -> None:
    first = SingleWriterLock(LeaseRepository(pg_engine))
    first.acquire()
    with pytest.raises(SingleWriterLockError, match="in use by another Theo instance"):
        SingleWriterLock(LeaseRepository(pg_engine)).acquire()
    first.heartbeat()
    first.release()
    SingleWriterLock(LeaseRepository(pg_engine)).acquire()
