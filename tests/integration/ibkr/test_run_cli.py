"""`theo run --broker ibkr` from the command line against the fake TWS: accounts, --live, an absent TWS."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.fakes.tws import running_fake
from tests.integration.ibkr.live import live_config
from theo.cli.main import app


def _run(path: Path, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["run", "--config", str(path), "--broker", "ibkr", *args])
    return r.exit_code, r.output


def test_a_live_account_is_refused_without_live_with_exit_2_and_no_order(tmp_path: Path) -> None:
    with running_fake(accounts=("U7654321",)) as fake:
        path, _ = live_config(tmp_path, fake.port, warmup_days=0)
        code, out = _run(path, "--duration", "3")
        assert fake.received(3) == []
    assert code == 2
    assert "account U7654321 is a live (real-money) account" in out
    assert "Traceback" not in out


def test_with_live_and_the_account_named_a_live_account_is_traded(tmp_path: Path) -> None:
    with running_fake(accounts=("U7654321",)) as fake:
        path, _ = live_config(tmp_path, fake.port, warmup_days=0, account='"U7654321"')
        code, out = _run(path, "--live", "--duration", "1")
        assert fake.received(97)  # it got as far as subscribing the market data
    assert code == 0, out
    assert "stopped" in out


def test_no_tws_within_the_duration_is_an_error_with_the_reason(tmp_path: Path) -> None:
    with running_fake() as fake:
        port = fake.port
    path, _ = live_config(tmp_path, port)
    code, out = _run(path, "--duration", "1.5")
    assert code == 1
    assert f"no connection to TWS / IB Gateway at 127.0.0.1:{port}" in out
    assert "nothing listens" in out
    assert "Traceback" not in out
