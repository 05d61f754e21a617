"""The collector with ``[feeds] secondary = "polygon"``: the same fail-over supervisor as ``theo run``, IBKR (the
fake TWS, real ib_async) as the primary and Polygon (the fake Polygon, real massive) as the secondary.

Both fakes print the same trades. The primary goes silent in session -> Polygon's prints are stored as
polygon's -> IBKR returns -> the symbol moves back; then both go silent while minutes pass -> the whole minutes
are backfilled from Polygon's REST aggregates. The store holds every print once, the switches are in
feed_events, the backfilled bars say polygon, and the summary names both sources."""

from __future__ import annotations

import asyncio
import itertools
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.polygon.server import FakePolygon
from tests.fakes.tws import FakeTws
from tests.integration.ibkr.failover_support import (
    KEY,
    KEY_ENV,
    Tape,
    both_subscribed,
    failover_config,
    serve_minutes,
    until,
)
from tests.integration.ibkr.live import shifted
from theo.cli.common import open_store
from theo.core.bus.memory import InMemoryBus
from theo.data.failover.backfill import whole_minutes
from theo.data.supervisor import FeedSupervisor
from theo.node.services.collect_feeds import build_feed
from theo.node.services.collect_summary import CollectSummary
from theo.node.services.collector import Collector
from theo.persistence.models.core import BarRow, TickRow
from theo.persistence.models.marketdata import FeedEventRow
from theo.persistence.repositories import Store

pytestmark = pytest.mark.slow


def test_collector_fails_over_to_polygon_and_back_and_stores_every_print_once(tmp_path: Path) -> None:
    os.environ[KEY_ENV] = KEY

    async def go() -> tuple[CollectSummary, list[float], list[str], Store, tuple[datetime, datetime] | None]:
        tws = await FakeTws().start()
        clock = shifted(tws)
        async with FakePolygon(keys={KEY}) as polygon:
            cfg = failover_config(tmp_path, tws.port, polygon)
            serve_minutes(polygon, clock.now())
            built = build_feed(cfg, "ibkr", symbols=["AAPL"], clock=clock)
            sup = built.feed
            assert isinstance(sup, FeedSupervisor)
            assert (sup.primary.name, sup.secondary.name) == ("ibkr", "polygon")
            db = open_store(cfg)
            collector = Collector(cfg, db, sup, InMemoryBus(), clock=clock, symbols=["AAPL"])
            stop = asyncio.Event()
            task = asyncio.ensure_future(collector.run(stop))
            tape = Tape(tws, polygon, clock)
            active: list[str] = []
            try:
                await both_subscribed(tws, polygon)
                await tape.play(1.0, primary=True, secondary=True)
                active.append(sup.status()["active"]["AAPL"])
                await tape.play(2.5, primary=False, secondary=True)  # IBKR silent in session
                active.append(sup.status()["active"]["AAPL"])
                await tape.play(2.5, primary=True, secondary=True)  # IBKR back
                active.append(sup.status()["active"]["AAPL"])
                resumed = len(tape.times)
                await until(lambda: sup.status()["unavailable"] == ["AAPL"], 4, "both feeds stale")
                clock.offset += timedelta(seconds=200)  # minutes pass with nothing from either feed
                tws.advance(200)
                await tape.play(0.5, primary=True, secondary=True)
                await until(lambda: sup.backfilled > 0, 5, "the backfill")
            finally:
                stop.set()
                summary = await asyncio.wait_for(task, 15)
                await tws.stop()
            # IBKR (active at both ends) stamps whole seconds: the gap runs between those stamps
            gap = whole_minutes(tape.times[resumed - 1].replace(microsecond=0),
                                tape.times[resumed].replace(microsecond=0))
        return summary, tape.prices, active, db, gap

    summary, prices, active, db, gap = asyncio.run(go())
    assert active == ["ibkr", "polygon", "ibkr"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(TickRow.price, TickRow.source).where(TickRow.symbol == "AAPL")).all()
        kinds = [k for (k,) in conn.execute(select(FeedEventRow.kind).order_by(FeedEventRow.id)).all()]
        filled = conn.execute(select(BarRow.start, BarRow.source, BarRow.volume).where(
            BarRow.symbol == "AAPL", BarRow.timeframe == "1m", BarRow.flags.contains("backfill"))).all()
    stored = [p for p, _ in rows]
    assert len(stored) == len(set(stored))  # no print twice across the seams
    assert sorted(stored) == prices  # and none missing: the union of both feeds
    by_source = {s: sum(1 for _, src in rows if src == s) for s in ("ibkr", "polygon")}
    assert by_source["polygon"] >= 20  # ~2.5 s of prints every 50 ms came only from Polygon
    assert by_source["ibkr"] >= 20
    # the quality gate's own stale/resumed rows interleave by timing; the supervisor's switches keep their order
    switches = [k for k in kinds if k not in ("stale", "resumed")]
    assert switches[0] == "failover"
    assert "failback" in switches
    assert switches[-2:] == ["unavailable", "available"]
    gate = [k for k in kinds if k in ("stale", "resumed")]
    assert gate[:1] in ([], ["stale"])
    assert all(a != b for a, b in itertools.pairwise(gate))  # stale, resumed, stale, ...
    assert gap is not None
    assert len(filled) == int((gap[1] - gap[0]) / timedelta(minutes=1)) >= 2  # every whole minute nobody delivered
    assert all(b.source == "polygon" and b.volume == 5000 for b in filled)
    assert all(gap[0] <= b.start.replace(tzinfo=gap[0].tzinfo) < gap[1] for b in filled)
    aapl = summary.symbols["AAPL"]
    assert summary.feed == "ibkr+polygon"
    assert set(aapl.sources) == {"ibkr", "polygon"}
    assert aapl.stored == len(stored)
    assert sum(aapl.sources.values()) == aapl.received
    assert [row[-1] for row in summary.rows() if row[0] == "AAPL"] == ["ibkr, polygon"]  # the table's source
