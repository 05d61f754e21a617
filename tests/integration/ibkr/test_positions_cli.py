"""`theo positions` with broker = "ibkr": IBKR's positions beside the journal's, read on the command client id."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.fakes.tws import running_fake
from tests.integration.ibkr.live import live_config
from theo.cli.main import app


def test_positions_compares_the_journal_with_ibkr_on_its_own_client_id(tmp_path: Path) -> None:
    with running_fake(accounts=("U7654321",)) as fake:  # a live account may be looked at without --live
        fake.set_position("U7654321", "AAPL", 100, 190.0)
        path, _ = live_config(tmp_path, fake.port, command_client_id=77)
        r = CliRunner().invoke(app, ["positions", "--config", str(path)], env={"COLUMNS": "160"})
        assert r.exit_code == 0, r.output
        assert [int(f[2]) for f in fake.received(71)] == [77]
    [row] = [line.split("│")[1:5] for line in r.output.splitlines() if "AAPL" in line]
    assert [cell.strip() for cell in row] == ["AAPL", "0", "100", "-100"]
    assert "IBKR account U7654321" in r.output


def test_positions_says_when_ibkr_cannot_be_reached(tmp_path: Path) -> None:
    with running_fake() as fake:
        port = fake.port
    path, _ = live_config(tmp_path, port, connect_timeout_seconds=1)
    r = CliRunner().invoke(app, ["positions", "--config", str(path)])
    assert r.exit_code == 0, r.output
    assert "IBKR not reachable, broker positions unknown" in r.output
    assert "Traceback" not in r.output
