"""``/healthz``, ``/readyz`` and ``/metrics`` on the real app and a migrated SQLite store (and a PostgreSQL that
is not there): values asserted, no secret in any answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.integration.api.seed import running, trade, working_order
from theo import __version__
from theo.api.app import create_app
from theo.api.events import EventHub
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.health import readiness
from theo.config import TheoConfig
from theo.model.enums import Side

SECRET = "s3cret-Pw-for-health"
#: Thursday 2026-12-03 10:00 New York: the regular session is open.
IN_SESSION = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
#: Saturday: no session.
WEEKEND = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def config(tmp_path: Path, **api: Any) -> TheoConfig:
    return TheoConfig.model_validate({"app": {"data_dir": str(tmp_path)},
                                      "api": {"ready_min_free_mb": 0, **api}})


def client_of(ctx: ServiceContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as client:
        yield client


def ctx_of(store: Engine, cfg: TheoConfig) -> ServiceContext:
    return ServiceContext(config=cfg, store=store, events=EventHub())


def write_tick(store: Engine, symbol: str, at: datetime) -> None:
    from theo.core.time import to_us
    from theo.data.files import TickColumns
    from theo.persistence.repositories.market_data import MarketDataRepository

    one = np.ones(1)
    MarketDataRepository(store).write_ticks(TickColumns(
        symbol, np.array([to_us(at)], dtype=np.int64), one * 100, one, np.array([""]), np.array([""]),
        np.zeros(1, dtype=bool), np.ones(1, dtype=np.int64)), "test")


def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    from theo.persistence.repositories import connect

    dead = ctx_of(connect("postgresql://theo@127.0.0.1:1/theo"), config(tmp_path))
    with TestClient(create_app(dead)) as client:
        r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__}


def test_readyz_200_with_a_running_paper_engine(sqlite_engine: Engine, tmp_path: Path) -> None:
    running(sqlite_engine, datetime.now(UTC), {"last_price": {"SPY": 100.0}, "items": 5})
    with TestClient(create_app(ctx_of(sqlite_engine, config(tmp_path)))) as client:
        r = client.get("/readyz")
    assert r.status_code == 200, r.json()
    body = r.json()
    checks = {c["name"]: c for c in body["checks"]}
    assert body["ready"] is True
    assert set(checks) == {"database", "broker", "data SPY", "disk space", "memory"}
    assert checks["broker"]["detail"] == "simulated broker (paper)"
    assert "MB resident (limit 4096 MB)" in checks["memory"]["detail"]


def test_readyz_503_without_an_engine_and_when_disk_is_short(sqlite_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(ctx_of(sqlite_engine, config(tmp_path)))) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert {c["name"]: c["ok"] for c in r.json()["checks"]}["broker"] is False
    running(sqlite_engine, datetime.now(UTC), {"last_price": {"SPY": 100.0}})
    short = config(tmp_path, ready_min_free_mb=10**12)  # more than any disk holds
    with TestClient(create_app(ctx_of(sqlite_engine, short))) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    failed = [c["name"] for c in r.json()["checks"] if not c["ok"]]
    assert failed == ["disk space"]


def test_readyz_503_when_the_database_is_down_and_no_secret_leaks(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from theo.persistence.repositories import connect

    monkeypatch.setenv("THEO__DATABASE__PASSWORD", SECRET)
    cfg = TheoConfig.model_validate({"app": {"data_dir": str(tmp_path)},
                                     "database": {"url": "postgresql://theo@127.0.0.1:1/theo", "password": SECRET}})
    assert SECRET in cfg.database_url()
    ctx = ctx_of(connect(cfg.database_url()), cfg)
    with TestClient(create_app(ctx)) as client:
        ready = client.get("/readyz")
        metrics = client.get("/metrics")
    assert ready.status_code == 503
    db = ready.json()["checks"][0]
    assert db["name"] == "database"
    assert db["ok"] is False
    assert "127.0.0.1:1" in db["detail"]
    assert metrics.status_code == 200
    values = samples(metrics.text)
    assert values[("theo_database_up", ())] == 0.0
    for text in (ready.text, metrics.text):
        assert SECRET not in text


def test_freshness_stale_for_a_symbol_in_session_with_old_ticks(sqlite_engine: Engine, tmp_path: Path) -> None:
    cfg = TheoConfig.model_validate({"app": {"data_dir": str(tmp_path)}, "api": {"ready_stale_seconds": 60},
                                     "strategies": [{"type": "donchian_breakout", "name": "d",
                                                     "symbols": ["SPY", "QQQ", "IWM"], "timeframe": "1m"}]})
    write_tick(sqlite_engine, "SPY", IN_SESSION - timedelta(hours=1))
    write_tick(sqlite_engine, "QQQ", IN_SESSION - timedelta(seconds=20))
    ctx = ctx_of(sqlite_engine, cfg)
    checks = {c.name: c for c in readiness(ctx, now=IN_SESSION).checks}
    assert checks["data SPY"].ok is False
    assert checks["data SPY"].detail == "session open, last tick 3600 s ago (stale after 60 s)"
    assert checks["data QQQ"].ok is True
    assert checks["data IWM"].ok is False
    assert checks["data IWM"].detail == "session open, no tick seen"
    closed = {c.name: c for c in readiness(ctx, now=WEEKEND).checks}
    assert closed["data SPY"].ok is True
    assert closed["data SPY"].detail == "session closed"


def journal_signals(store: Engine, run_id: int, at: datetime, counters: dict[str, Any], statuses: list[str]
                    ) -> None:
    """Journal signal outcomes of ``statuses`` as the run's flush does (keeping its ``counters``)."""
    import json

    from theo.persistence.repositories.runs import SqlRunStore

    rows = [{"kind": "signal", "key": f"s{i}", "ts": at, "payload": json.dumps({"status": st, "symbol": "SPY"})}
            for i, st in enumerate(statuses)]
    SqlRunStore(store).write(run_id, rows, at, counters, {}, "running", None)


def filled_order(store: Engine, at: datetime) -> None:
    from theo.model.enums import OrderStatus, OrderType
    from theo.model.events import Charges, Execution
    from theo.model.orders import Order, OrderRequest
    from theo.persistence.repositories.orders import SqlOrderJournal

    journal = SqlOrderJournal(store, broker="sim")
    order = Order("f1", OrderRequest("SPY", Side.BUY, Decimal(10), OrderType.MARKET), status=OrderStatus.ACCEPTED,
                  created_at=at)
    journal.record_intent(order, at)
    ex = Execution("E1", "f1", "SPY", Side.BUY, Decimal(10), Decimal("100"), at, Charges(commission=Decimal(1)))
    order.add_fill(ex)
    order.status = OrderStatus.FILLED
    journal.record_fill(order, ex, OrderStatus.ACCEPTED, at)


def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture(params=["sqlite_engine", pytest.param("pg_engine", marks=[pytest.mark.slow, pytest.mark.postgres])])
def any_store(request: pytest.FixtureRequest) -> Engine:
    """The migrated store on SQLite, then on PostgreSQL."""
    engine: Engine = request.getfixturevalue(request.param)
    return engine


def test_metrics_counters_after_events(any_store: Engine, tmp_path: Path) -> None:
    from theo.api.services.state import halt
    from theo.data.quarantine import QuarantineItem
    from theo.persistence.repositories.quarantine import QuarantineRepository

    now = datetime.now(UTC)
    counters: dict[str, Any] = {
        "items": 42, "ticks": {"SPY": 30, "QQQ": 12}, "rejected_ticks": 3,
        "latency": {"ibkr:SPY": {"p50_ms": 1.5, "p99_ms": 9.25, "n": 100}},
        "latency_histogram": {"ibkr:SPY": {"buckets": [10, 40, 60, 90, 97, 98, 99, 99, 99, 99, 99, 100, 100, 100],
                                           "sum": 321.5}},
        "last_price": {"SPY": 110.0, "QQQ": 400.0}, "sim_now": (now - timedelta(seconds=30)).isoformat()}
    run_id = running(any_store, now, counters)
    trade(any_store, "SPY", Side.BUY, "10", "100", now - timedelta(hours=2))  # open: +100 at 110
    trade(any_store, "QQQ", Side.BUY, "5", "400", now - timedelta(hours=3), exit_price="410",
          exit_ts=now - timedelta(hours=1))  # closed: +50 less 1.00 charges
    working_order(any_store, "w1", "SPY", "99", now)
    filled_order(any_store, now)
    journal_signals(any_store, run_id, now, counters, ["EXECUTED", "REJECTED", "EXECUTED"])
    QuarantineRepository(any_store).write_quarantine(
        [QuarantineItem("tick", "ibkr", "price_jump", "SPY", detail="x"),
         QuarantineItem("tick", "ibkr", "price_jump", "SPY", detail="y"),
         QuarantineItem("tick", "ibkr", "stale", "QQQ")])
    ctx = ctx_of(any_store, config(tmp_path))
    halt(ctx, Actor("ann", Role.TRADER, "web"), "test")
    with TestClient(create_app(ctx)) as client:
        r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    v = samples(r.text)
    assert v[("theo_database_up", ())] == 1.0
    assert v[("theo_engine_running", ())] == 1.0
    assert v[("theo_ticks_total", ())] == 42.0
    assert v[("theo_symbol_ticks_total", (("symbol", "SPY"),))] == 30.0
    assert v[("theo_symbol_ticks_total", (("symbol", "QQQ"),))] == 12.0
    assert v[("theo_run_rejected_ticks_total", ())] == 3.0
    assert v[("theo_gate_rejections_total", (("reason", "price_jump"),))] == 2.0
    assert v[("theo_gate_rejections_total", (("reason", "stale"),))] == 1.0
    spy = {"feed": "ibkr", "symbol": "SPY"}
    assert v[key("theo_tick_latency_quantile_milliseconds", quantile="0.99", **spy)] == 9.25
    assert v[key("theo_tick_latency_milliseconds_bucket", le="1", **spy)] == 10.0
    assert v[key("theo_tick_latency_milliseconds_bucket", le="10", **spy)] == 90.0
    assert v[key("theo_tick_latency_milliseconds_bucket", le="+Inf", **spy)] == 100.0
    assert v[key("theo_tick_latency_milliseconds_count", **spy)] == 100.0
    assert v[key("theo_tick_latency_milliseconds_sum", **spy)] == 321.5
    assert v[("theo_tick_latency_samples_total", (("feed", "ibkr"), ("symbol", "SPY")))] == 100.0
    assert 29 < v[("theo_engine_clock_lag_seconds", ())] < 120
    assert v[("theo_orders", (("state", "CREATED"),))] == 1.0
    assert v[("theo_orders", (("state", "FILLED"),))] == 1.0
    assert v[("theo_fills_total", ())] == 1.0
    assert v[key("theo_signals", status="EXECUTED")] == 2.0
    assert v[key("theo_signals", status="REJECTED")] == 1.0
    assert v[("theo_pnl_usd", (("kind", "realized"),))] == 49.0
    assert v[("theo_pnl_usd", (("kind", "unrealized"),))] == 100.0
    assert v[("theo_open_trades", ())] == 1.0
    assert v[("theo_trading_state", ())] == 2.0
    assert v[("theo_event_stream_clients", ())] == 0.0
    assert v[("theo_event_stream_dropped_total", ())] == 0.0


def test_registries_are_per_app(sqlite_engine: Engine, tmp_path: Path) -> None:
    running(sqlite_engine, datetime.now(UTC), {"items": 7})
    first, second = (create_app(ctx_of(sqlite_engine, config(tmp_path))) for _ in range(2))
    assert first.state.metrics is not second.state.metrics
    with TestClient(first) as a, TestClient(second) as b:
        assert samples(a.get("/metrics").text)[("theo_ticks_total", ())] == 7.0
        assert samples(b.get("/metrics").text)[("theo_ticks_total", ())] == 7.0


def test_metrics_need_a_session_unless_public(sqlite_engine: Engine, tmp_path: Path) -> None:
    from tests.integration.api.conftest import PASSWORD, add_user

    ctx = ctx_of(sqlite_engine, config(tmp_path, metrics_public=False))
    name = add_user(ctx, Role.VIEWER)
    with TestClient(create_app(ctx)) as client:
        assert client.get("/metrics").status_code == 401
        token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
        r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert ("theo_database_up", ()) in samples(r.text)
