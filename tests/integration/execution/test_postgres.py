"""The journal, the service and the single-writer lock on PostgreSQL (the production store)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.unit.execution.helpers import T0, bar, children, make_rig, minute, req
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
    br = svc.submit_bracket(req("BUY", 100, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                            children("BUY", 100, stop="270.50", target="271.30"))
    stop, target = br.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.feed(bar(minute(1), 271.32, 271.40, 271.22, 271.24))
    assert buy.avg_fill_price == D("271.19")
    assert (br.entry.status, target.status, stop.status) == (S.FILLED, S.FILLED, S.CANCELLED)
    stored = rig.journal.load_order(target.client_order_id)
    assert stored is not None
    # the entry filled at the open; its target worked from then on and the bar's high went through it
    assert (stored.avg_fill_price, stored.fills[0].ts) == (D("271.30"), minute(1))
    assert stored.fills[0].charges.total == D("1.03")
    assert (stored.parent_id, stored.oco_group) == (br.entry.client_order_id, f"{br.entry.client_order_id}-oco")
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
