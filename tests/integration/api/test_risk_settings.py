"""Risk, scanner and closure settings from the API: live values equal the engine's and `theo risk status`'s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.api.conftest import RecordingSink
from tests.integration.api.settings_fixtures import example_config, file_context
from tests.unit.trading.rig import TradingRig, make_trading_rig, signal
from theo.api.services.context import ServiceContext
from theo.config.loader import load_config
from theo.core.calendar import ET
from theo.core.errors import RiskDenied
from theo.model.enums import Side
from theo.persistence.repositories.decisions import DecisionRepository
from theo.persistence.repositories.trading_state import TradingStateRepository
from theo.risk.state import State, current_state

T = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)  # 10:00 ET


class Run:
    """What the API sees of the running engine: its clock and last prices."""

    def __init__(self, rig: TradingRig, prices: dict[str, float]) -> None:
        self.rig, self.prices = rig, prices

    def counters(self) -> dict[str, Any]:
        return {"sim_now": self.rig.rig.clock.now().isoformat(), "last_price": self.prices}


@pytest.fixture
def rig(tmp_path: Path) -> TradingRig:
    """One closed round trip and one open long on SPY, a halt by an operator and a denial."""
    r = make_trading_rig(tmp_path, start=T)
    r.tick(T, 100.0)
    first, _ = r.manager.open_trade(signal(T, 100.0, stop=99.0))
    assert first is not None
    r.tick(T + timedelta(seconds=1), 100.0)
    r.manager.on_signal(signal(T + timedelta(seconds=1), 99.5, Side.SELL, exit=True))
    r.tick(T + timedelta(seconds=2), 99.5)
    second, _ = r.manager.open_trade(signal(T + timedelta(seconds=3), 99.5, stop=98.0))
    assert second is not None
    r.tick(T + timedelta(seconds=4), 99.0)
    r.manager.state.set(State.HALTED, "checking the feed", "cli:alice")
    with pytest.raises(RiskDenied):
        r.manager.open_trade(signal(T + timedelta(seconds=6), 99.0, stop=98.0))
    return r


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    (tmp_path / "cfg").mkdir()
    return example_config(tmp_path / "cfg")


@pytest.fixture
def api_store(rig: TradingRig) -> Engine:
    return rig.rig.engine


@pytest.fixture
def api_ctx(config_path: Path, api_store: Engine, api_events: RecordingSink, rig: TradingRig) -> ServiceContext:
    ctx = file_context(config_path, api_store, api_events)
    ctx.run = Run(rig, {"SPY": 99.0})
    return ctx


def test_risk_values_equal_the_engines_and_theo_risk_status(make_client: Callable[..., TestClient],
                                                            rig: TradingRig) -> None:
    answer = make_client("viewer").get("/api/v1/settings/risk")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    cur = body["current"]
    pf = rig.manager.portfolio
    day = rig.rig.clock.now().astimezone(ET).date()
    assert Decimal(cur["equity"]) == pf.equity().quantize(Decimal("0.01"))
    assert Decimal(cur["day_pnl"]) == pf.day_pnl(day).quantize(Decimal("0.01"))
    assert cur["daily_loss"]["value"] == str(max(-pf.day_pnl(day), Decimal(0)).quantize(Decimal("0.01")))
    assert cur["open_positions"] == {"value": pf.open_trade_count(), "limit": 5, "unit": "count", "breached": False}
    assert cur["open_positions"]["value"] == 1
    assert cur["trades_today"]["value"] == pf.trades_opened_on(day) == 2
    assert cur["day_trades"]["value"] == pf.day_trades(day) == 1
    assert cur["day_trades"]["limit"] == 3
    gross = sum(abs(q * pf.marks()[s]) for s, q in pf.positions().items())
    assert Decimal(cur["exposure"]["value"]) == (gross / pf.equity() * 100).quantize(Decimal("0.01"))
    assert cur["exposure"]["limit"] == "400"
    state, _ = current_state(TradingStateRepository(rig.rig.engine), "")  # what `theo risk status` prints
    assert cur["state"] == state.value == "HALTED"
    denials = DecisionRepository(rig.rig.engine).denials(10)
    assert [(d["rule"], d["reason"]) for d in cur["denials"]] == [(d.rule, d.reason) for d in denials]
    assert body["values"]["account"]["limits"]["max_active_trades"] == 5
    assert "account" in body["schema"]["properties"]


def test_saving_a_limit_writes_the_file_and_the_gauge_follows(make_client: Callable[..., TestClient],
                                                             config_path: Path) -> None:
    trader = make_client("trader")
    answer = trader.put("/api/v1/settings/risk", json={"values": {"account": {"limits": {"max_active_trades": 1}}}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changed"] == {"account.limits.max_active_trades": 1}
    assert body["current"]["open_positions"] == {"value": 1, "limit": 1, "unit": "count", "breached": True}
    assert load_config(config_path).risk.account.limits.max_active_trades == 1
    entry = trader.get("/api/v1/audit", params={"action": "settings.risk.update"}).json()["items"][0]
    assert (entry["before"], entry["after"]) == ({"account.limits.max_active_trades": 5},
                                                 {"account.limits.max_active_trades": 1})
    bad = trader.put("/api/v1/settings/risk", json={"values": {"account": {"limits": {"max_stop_pct": "0.5"}}}})
    assert bad.status_code == 422  # default_stop_pct 1 may not exceed max_stop_pct: a check across keys
    assert "max_stop_pct" in bad.json()["detail"]


def test_closure_edits_the_time_exit_and_shows_when_it_falls(make_client: Callable[..., TestClient],
                                                             config_path: Path) -> None:
    trader = make_client("trader")
    got = trader.get("/api/v1/settings/closure").json()
    assert got["values"]["trade"] == {"time_exit": "15:55:00", "time_exit_before_close_minutes": 5}
    assert got["current"]["strategies"]["corr-spy-qqq"]["ss_type"] == "intraday"
    saved = trader.put("/api/v1/settings/closure", json={"values": {"trade": {"time_exit": "15:30:00"}}})
    assert saved.status_code == 200, saved.text
    assert "\ntime_exit = 15:30:00\n" in config_path.read_text(encoding="utf-8")  # a TOML time, as people write it
    exit_at = datetime.fromisoformat(saved.json()["current"]["strategies"]["corr-spy-qqq"]["exit_at"])
    assert exit_at.astimezone(ET).time().isoformat() in ("15:30:00", "12:55:00")  # 12:55 on an early-close day
    other = trader.put("/api/v1/settings/closure", json={"values": {"trade": {"sweep_seconds": 2}}})
    assert other.status_code == 422
    assert other.json()["field"] == "trade.sweep_seconds"
    held = trader.put("/api/v1/settings/closure", json={"values": {"strategies": {"corr-spy-qqq": {
        "ss_type": "positional"}}}})
    assert held.status_code == 200, held.text
    assert held.json()["current"]["strategies"]["corr-spy-qqq"]["exit_at"] is None  # held overnight
    assert load_config(config_path).strategies[0].ss_type == "positional"
    bad = trader.put("/api/v1/settings/closure", json={"values": {"strategies": {"corr-spy-qqq": {"ss_type": "swing"}},
                                                                  "trade": {"time_exit": "25:00"}}})
    assert bad.status_code == 422
    assert bad.json()["field"] in ("strategies.corr-spy-qqq.ss_type", "trade.time_exit")
    audit = trader.get("/api/v1/audit", params={"action": "settings.closure.update"}).json()["items"]
    assert [e["after"] for e in audit] == [{"strategies.0.ss_type": "positional"}, {"risk.trade.time_exit": "15:30:00"}]


def test_scanner_settings_bind_to_configured_strategies(make_client: Callable[..., TestClient],
                                                        config_path: Path) -> None:
    trader = make_client("trader")
    got = trader.get("/api/v1/settings/scanner").json()
    assert got["current"]["strategies"] == {"corr-spy-qqq": ["SPY", "QQQ"]}
    scan = {"name": "spy-open", "strategy": "corr-spy-qqq", "days": ["mon", "tue"], "interval_seconds": 300}
    saved = trader.put("/api/v1/settings/scanner", json={"values": {"scanners": [scan]}})
    assert saved.status_code == 200, saved.text
    assert load_config(config_path).scanner.scanners[0].days == ["mon", "tue"]
    unknown = trader.put("/api/v1/settings/scanner",
                         json={"values": {"scanners": [{**scan, "strategy": "nope"}]}})
    assert unknown.status_code == 422
    assert "'nope' is not configured" in unknown.json()["detail"]
    assert make_client("viewer").put("/api/v1/settings/scanner", json={"values": {"user": "x"}}).status_code == 403
