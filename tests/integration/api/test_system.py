"""The system page: checks, data freshness and the log tail (filtered, secrets redacted); health without auth."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.api.seed import running
from theo import __version__
from theo.api.services.context import ServiceContext
from theo.config import TheoConfig

LOG = [
    {"event": "run.started", "level": "info", "logger": "theo.node.paper", "timestamp": "2026-12-04T10:00:00Z",
     "run": 1},
    {"event": "db.connect", "level": "warning", "logger": "theo.db", "timestamp": "2026-12-04T10:00:01Z",
     "url": "postgresql://theo:hunter2hunter2@db:5432/theo", "api_key": "abc123secret"},
    {"event": "api.login", "level": "info", "logger": "theo.api", "timestamp": "2026-12-04T10:00:02Z",
     "username": "ann"},
]


@pytest.fixture
def api_config(tmp_path: Path) -> TheoConfig:
    return TheoConfig.model_validate({"app": {"data_dir": str(tmp_path)}, "logging": {"file": "logs/theo.log"},
                                      "strategies": [{"type": "donchian_breakout", "name": "d",
                                                      "symbols": ["SPY", "QQQ"], "timeframe": "1m"}]})


def test_health_needs_no_session(anon_client: TestClient) -> None:
    assert anon_client.get("/api/v1/health").json() == {"status": "ok", "version": __version__}


def test_checks_and_freshness_of_a_running_engine(make_client: Callable[..., TestClient], api_ctx: ServiceContext,
                                                  tmp_path: Path) -> None:
    import numpy as np

    from theo.core.time import to_us
    from theo.data.files import TickColumns
    from theo.persistence.repositories.market_data import MarketDataRepository

    NOW = datetime.now(UTC)
    running(api_ctx.store, NOW, {"last_price": {"SPY": 100.0}, "sim_now": NOW.isoformat()})
    one = np.ones(1)
    MarketDataRepository(api_ctx.store).write_ticks(TickColumns(
        "QQQ", np.array([to_us(NOW - timedelta(minutes=10))], dtype=np.int64), one * 400, one, np.array([""]),
        np.array([""]), np.zeros(1, dtype=bool), np.ones(1, dtype=np.int64)), "test")
    body = make_client("viewer").get("/api/v1/system").json()
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["database"]["ok"] is True
    assert "sqlite" in checks["database"]["detail"]
    assert checks["engine heartbeat"]["ok"] is True
    assert checks["disk space"]["detail"].endswith(f"at {tmp_path}")
    assert checks["log file"]["ok"] is False  # configured, nothing written yet
    fresh = {f["symbol"]: f for f in body["freshness"]}
    assert fresh["SPY"]["fresh"] is True  # priced by the running paper run
    assert fresh["QQQ"]["fresh"] is False  # its newest stored tick is 10 minutes old
    assert 590 < fresh["QQQ"]["age_seconds"] < 700
    assert body["version"] == __version__
    assert body["run"]["status"] == "running"


def test_logs_tail_filters_by_level_and_redacts_secrets(make_client: Callable[..., TestClient],
                                                         api_config: TheoConfig) -> None:
    path = api_config.app.data_dir / "logs" / "theo.log"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in LOG), encoding="utf-8")
    viewer = make_client("viewer")
    body = viewer.get("/api/v1/system/logs", params={"lines": 2}).json()
    assert body["file"] == str(path)
    assert [line["event"] for line in body["lines"]] == ["db.connect", "api.login"]
    assert body["lines"][1] == {"ts": "2026-12-04T10:00:02Z", "level": "INFO", "event": "api.login",
                                "text": 'api.login logger="theo.api" username="ann"'}
    warn = viewer.get("/api/v1/system/logs", params={"level": "warning"}).json()["lines"]
    assert [line["event"] for line in warn] == ["db.connect"]
    assert "hunter2hunter2" not in warn[0]["text"]
    assert "abc123secret" not in warn[0]["text"]
    assert "postgresql://theo:***@db:5432/theo" in warn[0]["text"]
    assert viewer.get("/api/v1/system/logs", params={"level": "LOUD"}).status_code == 422
