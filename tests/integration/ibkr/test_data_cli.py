"""`theo ib check` and `theo data download` against the fake TWS (run in a thread; the CLI has its own loop)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.fakes.tws import FakeTws, running_fake
from theo.cli.main import app
from theo.persistence.repositories import connect
from theo.persistence.repositories.bars import BarRepository

STRATEGY = '[[strategies]]\ntype = "correlation"\nname = "c"\ntimeframe = "1m"\nprimary = "SPY"\n' \
           'correlated = [{ symbol = "QQQ", confirm = "same" }]\n'


def cells(text: str) -> str:
    """The output with table borders removed and whitespace collapsed."""
    return " ".join("".join(" " if c in "┏┳┓┃┡╇┩│└┴┘━─" else c for c in text).split())


def theo(tmp_path: Path, port: int, *args: str, strategies: str = STRATEGY) -> Result:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[logging]\nlevel = "ERROR"\n'
                   f'[execution.ibkr]\nport = {port}\nclient_id = 9\nconnect_timeout_seconds = 2\n'
                   f'request_timeout_seconds = 3\n{strategies}', encoding="utf-8")
    env = {k: "" for k in os.environ if k.startswith("THEO_")}
    return CliRunner().invoke(app, [*args, "--config", str(cfg)], env=env, catch_exceptions=False)


def test_ib_check_everything_there(tmp_path: Path) -> None:
    with running_fake() as fake:
        result = theo(tmp_path, fake.port, "ib", "check")
    assert result.exit_code == 0, result.output
    out = cells(result.stdout)
    assert "connected, server version 178" in out
    assert "managed accounts: DU1234567 (paper)" in out
    assert "trading account: DU1234567 (paper)" in out
    assert "SPY live ARCA, SPDR S&P 500 ETF TRUST" in out
    assert "QQQ live NASDAQ, INVESCO QQQ TRUST SERIES 1" in out
    assert "everything Theo needs is there" in out


def entitlements(fake: FakeTws) -> None:
    fake.set_entitlement("QQQ", "delayed")
    fake.set_entitlement("MSFT", "none")


def test_ib_check_names_what_is_missing_and_what_to_do(tmp_path: Path) -> None:
    with running_fake() as fake:
        entitlements(fake)
        result = theo(tmp_path, fake.port, "ib", "check", "--symbol", "MSFT", "--symbol", "NOPEQ")
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())
    assert "QQQ delayed" in out
    assert "MSFT none" in out
    assert "NOPEQ unknown" in out
    assert "QQQ: only delayed (15 min) data: subscribe to NASDAQ (Network C/UTP) for live data" in out
    assert "MSFT: subscribe to NASDAQ (Network C/UTP) (and the US Securities Snapshot and Futures Value Bundle)" in out
    assert "NOPEQ: IBKR does not know it" in out


def test_ib_check_unreachable_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with running_fake() as fake:
        port = fake.port
    result = theo(tmp_path, port, "ib", "check", "--attempts", "1")
    assert result.exit_code == 2
    assert "cannot reach TWS / IB Gateway: nothing listens at 127.0.0.1" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_ib_check_refuses_a_live_account_without_live(tmp_path: Path) -> None:
    with running_fake(accounts=("U7654321",)) as fake:
        result = theo(tmp_path, fake.port, "ib", "check")
    assert result.exit_code == 1
    assert "account U7654321 is a live (real-money) account" in " ".join(result.stdout.split())


DAY = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # Wed 09:30 ET


def test_download_writes_bars_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    rows = [(DAY + timedelta(minutes=i), 600 + i, 601 + i, 599 + i, 600.5 + i, 1000 + i) for i in range(30)]
    rows += [(DAY + timedelta(days=1, minutes=i), 700 + i, 701 + i, 699 + i, 700.5 + i, 10) for i in range(5)]
    with running_fake() as fake:
        fake.set_history("SPY", rows)
        args = ("data", "download", "SPY", "--from", "2026-11-28", "--to", "2026-12-03", "--bar-size", "1m")
        first = theo(tmp_path, fake.port, *args)
        asked = len(fake.history_requests)
        again = theo(tmp_path, fake.port, *args)
        asked_again = len(fake.history_requests) - asked
    assert first.exit_code == 0, first.output
    out = cells(first.stdout)
    # 6 ET days: Sat 28, Sun 29 closed; Mon 30, Tue 1 (no data), Wed 2 (30 bars), Thu 3 (5 bars)
    assert "SPY 6 4 0 2 35 35" in out
    assert asked == 4
    bars = BarRepository(connect(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")).stored_bars("SPY", "1m")
    assert len(bars) == 35
    assert (bars[0].start, bars[0].open, bars[0].high, bars[0].low, bars[0].close, bars[0].volume) == (
        DAY, 600, 601, 599, 600.5, 1000)
    assert bars[0].source == "ibkr"
    assert again.exit_code == 0, again.output
    # Wed and Thu are stored: skipped; Mon and Tue held nothing, so they are asked again, and add nothing
    assert "SPY 6 2 2 2 0 0" in cells(again.stdout)
    assert asked_again == 2


@pytest.mark.parametrize(("args", "message"), [
    (("--bar-size", "1h"), "bar size '1h' cannot be downloaded"),
    (("--to", "2026-11-01"), "must be after --from"),
    (("--from", "yesterday"), "--from 'yesterday' is not a date"),
])
def test_download_bad_input_is_a_clear_error(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    base = {"--from": "2026-11-28", "--bar-size": "1m"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [x for kv in base.items() for x in kv]
    if "--to" in args:
        flat += ["--to", args[1]]
    result = theo(tmp_path, 1, "data", "download", "SPY", *flat)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
