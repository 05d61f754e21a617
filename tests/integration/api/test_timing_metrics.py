"""The order journal times its write transactions, the run's counters carry the histograms and ``/metrics`` exports
them as Prometheus histograms (``theo_journal_write_seconds``, ``theo_bar_lag_seconds{timeframe}``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.api.seed import running
from tests.integration.api.test_health_metrics import config, ctx_of, samples
from theo.api.app import create_app
from theo.core.histogram import LAG_SECONDS, WRITE_SECONDS, Histogram
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.orders import Order, OrderRequest
from theo.node.paper import timing_counters
from theo.persistence.repositories.orders import SqlOrderJournal

D = Decimal


def _order(cid: str, at: datetime) -> Order:
    return Order(cid, OrderRequest("SPY", Side.BUY, D(5), OrderType.LIMIT, limit_price=D("100")), created_at=at,
                 updated_at=at)


def test_every_journal_write_transaction_is_timed_and_reads_are_not(sqlite_engine: Engine) -> None:
    journal = SqlOrderJournal(sqlite_engine, broker="sim")
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    a, b = _order("a1", now), _order("b1", now)
    journal.record_intents([a, b], now)  # one transaction for the pair
    a.status = OrderStatus.SUBMITTED
    journal.record_status(a, "submit", OrderStatus.CREATED, now)
    journal.record_event("b1", "cancel_requested", now, {"reason": "test"})
    journal.map_broker_id("a1", "sim", "77", "", now)
    assert [o.client_order_id for o in journal.load_orders()] == ["a1", "b1"]  # reads: not timed
    assert journal.exec_ids() == set()
    hist = journal.write_seconds
    assert hist.count == 4
    assert 0 < hist.sum < 4 * 2.5
    assert timing_counters(journal) == {"journal_write_seconds": hist.snapshot()}
    assert timing_counters(object()) == {}  # a backtest's memory journal keeps none
    journal.close()


def test_metrics_export_journal_write_latency_and_bar_lag_per_timeframe(sqlite_engine: Engine,
                                                                         tmp_path: Path) -> None:
    writes = Histogram(WRITE_SECONDS)
    for v in (0.0002, 0.0003, 0.004, 0.3):
        writes.observe(v)
    one, five = Histogram(LAG_SECONDS), Histogram(LAG_SECONDS)
    for v in (2.1, 2.2, 2.4):
        one.observe(v)
    five.observe(7.0)
    now = datetime.now(UTC)
    running(sqlite_engine, now, {"items": 1, "journal_write_seconds": writes.snapshot(),
                                 "bar_lag_seconds": {"1m": one.snapshot(), "5m": five.snapshot()}})
    with TestClient(create_app(ctx_of(sqlite_engine, config(tmp_path)))) as client:
        r = client.get("/metrics")
    assert r.status_code == 200
    v = samples(r.text)
    assert v[("theo_journal_write_seconds_count", ())] == 4.0
    assert v[("theo_journal_write_seconds_sum", ())] == pytest.approx(0.3045)
    assert v[("theo_journal_write_seconds_bucket", (("le", "0.00025"),))] == 1.0
    assert v[("theo_journal_write_seconds_bucket", (("le", "0.0005"),))] == 2.0
    assert v[("theo_journal_write_seconds_bucket", (("le", "0.005"),))] == 3.0
    assert v[("theo_journal_write_seconds_bucket", (("le", "0.25"),))] == 3.0
    assert v[("theo_journal_write_seconds_bucket", (("le", "+Inf"),))] == 4.0
    assert v[("theo_bar_lag_seconds_bucket", (("le", "2"), ("timeframe", "1m")))] == 0.0
    assert v[("theo_bar_lag_seconds_bucket", (("le", "2.5"), ("timeframe", "1m")))] == 3.0
    assert v[("theo_bar_lag_seconds_count", (("timeframe", "1m"),))] == 3.0
    assert v[("theo_bar_lag_seconds_sum", (("timeframe", "1m"),))] == pytest.approx(6.7)
    assert v[("theo_bar_lag_seconds_bucket", (("le", "5"), ("timeframe", "5m")))] == 0.0
    assert v[("theo_bar_lag_seconds_bucket", (("le", "10"), ("timeframe", "5m")))] == 1.0


def test_a_run_without_the_histograms_exports_empty_families(sqlite_engine: Engine, tmp_path: Path) -> None:
    running(sqlite_engine, datetime.now(UTC), {"items": 1, "journal_write_seconds": {"bounds": [1], "buckets": [1]}})
    with TestClient(create_app(ctx_of(sqlite_engine, config(tmp_path)))) as client:
        text = client.get("/metrics").text
    assert "# TYPE theo_journal_write_seconds histogram" in text
    assert "theo_journal_write_seconds_count" not in text  # a malformed snapshot is skipped, the scrape still works
    assert "theo_database_up 1.0" in text
