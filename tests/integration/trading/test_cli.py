"""`theo report deals` and `theo risk status|halt|reduce|resume|kill` on a store."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.unit.execution.helpers import T0, make_rig
from tests.unit.trading.rig import TradingRig, make_manager, signal
from theo.cli import report_cmd, risk_cmd
from theo.model.enums import Side, SignalStatus
from theo.model.trades import ExitReason
from theo.persistence.db import make_engine, upgrade
from theo.risk.config import RiskConfig
from theo.risk.state import State, TradingState


def _app() -> typer.Typer:
    app = typer.Typer()
    report_cmd.register(app)
    risk_cmd.register(app)
    return app


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setattr(report_cmd, "console", Console(width=400, force_terminal=False))
    monkeypatch.setattr(risk_cmd, "console", Console(width=250, force_terminal=False))


def _setup(tmp_path: Path) -> Path:
    """Two closed trades (Mon 2019-02-11: s1 stop-loss, s2 target) and one running (Tue, s1)."""
    data = tmp_path / "var"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    upgrade(engine)
    rig = make_rig(data, engine=engine, state_file="sim.db")
    r = TradingRig(rig, make_manager(rig, RiskConfig()))
    s = lambda n: T0 + timedelta(seconds=n)  # noqa: E731
    r.tick(s(0), 100.0)
    r.manager.open_trade(signal(s(0), 100.0, stop=99.0, target=103.0))
    r.manager.open_trade(signal(s(0), 100.0, Side.SELL, stop=101.0, target=98.0, strategy="s2"))
    r.tick(s(1), 100.0)
    r.tick(s(2), 98.0)
    day2 = T0 + timedelta(days=1)
    r.tick(day2, 99.0)
    r.manager.open_trade(signal(day2, 99.0, stop=98.0, target=102.0))
    r.tick(day2 + timedelta(seconds=1), 99.0)
    rig.service.stop()
    engine.dispose()
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return config


def test_report_deals_formats_and_filters(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("trade_id,strategy,ss_type,ss_signal_type,symbol")
    assert ",Completed,Stop-loss," in lines[1]
    assert ",Completed,Profit target," in lines[2]
    assert ",Running," in lines[3]
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config), "--from", "2019-02-11", "--to",
                                 "2019-02-11", "--strategy", "s2", "--format", "json"])
    rows = json.loads(res.output)
    assert [(r["strategy"], r["ss_signal_type"], r["pnl"], r["comment"]) for r in rows] == \
        [("s2", "Short", "2000.00", "Profit target")]
    out = tmp_path / "deals.html"
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config), "--format", "html", "--out", str(out)])
    assert res.exit_code == 0
    assert "<table>" in out.read_text()


def test_report_deals_bad_options_are_clear(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config), "--format", "xml"])
    assert res.exit_code == 2
    assert "--format='xml'" in res.output
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config), "--from", "11/02/2019"])
    assert res.exit_code == 2
    assert "YYYY-MM-DD" in res.output
    res = runner.invoke(_app(), ["report", "deals", "-c", str(config), "--from", "2019-02-12", "--to", "2019-02-11"])
    assert res.exit_code == 2
    assert "swap" in res.output


def test_risk_commands_change_the_state_a_running_engine_adopts(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    res = runner.invoke(_app(), ["risk", "halt", "-c", str(config), "--reason", "broker outage"])
    assert res.exit_code == 0
    assert "ACTIVE -> HALTED" in res.output
    res = runner.invoke(_app(), ["risk", "status", "-c", str(config)])
    assert "trading state: HALTED" in res.output
    assert "broker outage" in res.output
    res = runner.invoke(_app(), ["risk", "resume", "-c", str(config), "--reason", " "])
    assert res.exit_code == 2
    assert "--reason" in res.output
    res = runner.invoke(_app(), ["risk", "kill", "-c", str(config), "--flatten", "--reason", "panic"])
    assert res.exit_code == 0
    assert "kill switch requested (flatten)" in res.output
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")
    from theo.core.clock import SimulatedClock
    from theo.persistence.repositories.trading_state import TradingStateRepository

    state = TradingState(SimulatedClock(T0), store=TradingStateRepository(engine))
    kill = state.refresh()
    assert state.state is State.HALTED
    assert kill is not None
    assert kill.flatten
    assert kill.reason == "panic"
    res = runner.invoke(_app(), ["risk", "status", "-c", str(config)])
    assert "flatten (pending)" in res.output


def test_theo_risk_halt_keeps_the_stop_of_a_running_trade_working(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    res = CliRunner().invoke(_app(), ["risk", "halt", "-c", str(config), "--reason", "broker outage"])
    assert res.exit_code == 0, res.output
    # the engine (re)starts on the store: it adopts HALTED and its running trade's stop rests at the broker
    data = tmp_path / "var"
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    now = T0 + timedelta(days=1, seconds=2)
    rig = make_rig(data, engine=engine, state_file="sim.db", start=now)
    r = TradingRig(rig, make_manager(rig, RiskConfig()))
    r.manager.recover()
    assert r.manager.state.state is State.HALTED
    [running] = r.manager.trades(open_only=True)
    assert r.manager.is_protected(running)
    r.manager.sweep(now)
    r.tick(now + timedelta(seconds=1), 97.9)  # through the 98.00 stop while halted
    assert (running.status.value, running.exit_reason, running.exit_price) == ("Closed", ExitReason.STOP_LOSS,
                                                                              Decimal("97.9"))
    outcome = r.manager.on_signal(signal(now + timedelta(seconds=2), 97.9, stop=97.0, strategy="s3"))
    assert (outcome.status, outcome.note.split(":")[0]) == (SignalStatus.FAILED, "TRADING_HALTED")
    engine.dispose()
