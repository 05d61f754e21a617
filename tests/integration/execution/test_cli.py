"""`theo orders [--open]` and `theo positions` on a store and a simulated broker state."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.execution.helpers import T0, bar, make_rig, req
from theo.cli.main import app
from theo.persistence.db import make_engine, upgrade

D = Decimal


def _setup(tmp_path: Path) -> Path:
    data = tmp_path / "var"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    upgrade(engine)
    rig = make_rig(data, engine=engine, state_file="sim_broker.db")
    rig.service.create_order(req("BUY", 100))
    rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    engine.dispose()
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return config


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough for whole ids whatever terminal (or none) the tests run in."""
    from rich.console import Console

    from theo.cli import orders_cmd

    monkeypatch.setattr(orders_cmd, "console", Console(width=250, force_terminal=False))


def test_orders_and_positions_commands(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["orders", "--config", str(config)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "man-20190211-0001" in result.output
    assert "FILLED" in result.output
    assert "270.00" in result.output  # prices keep two decimals
    detail = runner.invoke(app, ["orders", "--config", str(config), "--format", "json"])
    assert detail.exit_code == 0, detail.output
    fills = {o["client_order_id"]: o["fills"] for o in json.loads(detail.output)}
    assert [(f["quantity"], f["price"]) for f in fills["man-20190211-0001"]] == [("100", "271.19")]
    result = runner.invoke(app, ["orders", "--open", "-c", str(config)], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "man-20190211-0002" in result.output
    assert "man-20190211-0001" not in result.output
    result = runner.invoke(app, ["positions", "-c", str(config)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "journal and broker agree" in result.output
    assert "SPY" in result.output


def test_positions_show_a_difference(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    (tmp_path / "var" / "sim_broker.db").unlink()
    data = tmp_path / "var"
    rig = make_rig(data, engine=make_engine(f"sqlite:///{data / 'theo.db'}"), state_file="sim_broker.db")
    rig.service.create_order(req("SELL", 30, symbol="AAPL"))  # a fresh broker state without the SPY fill
    result = CliRunner().invoke(app, ["positions", "-c", str(config)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "1 position(s) differ" in result.output
    assert "100" in result.output


def test_a_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["orders", "-c", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output
