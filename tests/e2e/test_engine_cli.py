"""`theo backtest`, `theo backtest sweep`, `theo run` and `theo status` end to end, as a user runs them."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

THEO = [sys.executable, "-m", "theo.cli.main"]
pytestmark = pytest.mark.xdist_group("engine-e2e")


def theo(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("THEO_CONFIG", None)
    return subprocess.run([*THEO, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def needs_data() -> None:
    if not (SHARED_DATA / "eqker").is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (a fresh clone has no ../shared/data)")


@pytest.mark.parametrize("config", ["backtest-eqker", "backtest-aapl-msft"])
def test_backtest_writes_every_output_on_real_data(tmp_path: Path, config: str) -> None:
    needs_data()
    out = tmp_path / "out"
    r = theo("backtest", "--config", f"config/{config}.toml", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Backtest summary" in r.stdout
    for name in ("metrics.json", "deals.csv", "orders.csv", "signals.csv", "equity.png", "equity.html"):
        assert (out / name).stat().st_size > 0, name
    m = json.loads((out / "metrics.json").read_text())
    for key in ("total_return", "annual_return", "sharpe", "sortino", "max_drawdown", "max_drawdown_duration_days",
                "calmar", "win_rate", "profit_factor", "expectancy", "exposure", "trades", "charges"):
        assert key in m
    assert m["trades"] > 0
    assert m["charges"] > 0
    traded = {row["symbol"] for row in csv.DictReader((out / "deals.csv").open())}
    assert sorted(p.name for p in out.glob("price_*.png")) == sorted(f"price_{s}.png" for s in traded)
    for name in ("equity.png", *(f"price_{s}.png" for s in traded)):
        assert 20_000 < (out / name).stat().st_size < 1_000_000, name
    found = [int(n.replace(",", "")) for n in re.findall(r": ([\d,]+) signals found", r.stdout)]
    assert sum(found) == m["signals"]
    statuses = [row["status"] for row in csv.DictReader((out / "signals.csv").open())]
    executed = sum(int(n.replace(",", "")) for n in re.findall(r"signals found, ([\d,]+) executed", r.stdout))
    assert executed == statuses.count("EXECUTED")


def test_command_line_overrides_data_and_dates(tmp_path: Path) -> None:
    needs_data()
    r = theo("backtest", "-c", "config/backtest.example.toml", "--data",
             str(SHARED_DATA / "eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz"), "--data",
             str(SHARED_DATA / "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz"), "--from", "2019-02-12", "--to",
             "2019-02-13", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    import csv

    with (tmp_path / "deals.csv").open() as fh:
        deals = list(csv.DictReader(fh))
    assert deals
    assert all(d["entry_date"][:10] in ("2019-02-12", "2019-02-13") for d in deals)
    assert {d["status"] for d in deals} <= {"Completed", "Running"}


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    r = theo("backtest", "-c", "config/backtest.example.toml", "--data", str(tmp_path / "nope_1min.csv"),
             "--out", str(tmp_path))
    assert r.returncode == 2
    assert "no such file" in r.stderr
    assert "Traceback" not in r.stderr
    r = theo("backtest", "-c", "config/backtest.example.toml", "--from", "2019-13-01")
    assert r.returncode == 2
    assert "--from '2019-13-01' is not a date" in r.stderr


def test_sweep_ranks_a_grid_and_reports_the_best_run(tmp_path: Path) -> None:
    needs_data()
    r = theo("backtest", "sweep", "-c", "config/backtest.example.toml", "-g", "entry_period=10,20,30",
             "-g", "exit_period=5:10:5", "--metric", "total_return", "--jobs", "2", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert len(rows) == 7
    values = [float(line.split(",")[3]) for line in rows[1:]]
    assert values == sorted(values, reverse=True)
    assert (tmp_path / "best" / "metrics.json").is_file()


def _config(tmp_path: Path) -> Path:
    text = (REPO / "config" / "theo.example.toml").read_text()
    text = text.replace('data_dir = "var"', f'data_dir = "{tmp_path / "var"}"').replace("speed = 60", "speed = 600")
    text = text.replace("# heartbeat_seconds = 5.0", "heartbeat_seconds = 1.0")
    text = text.replace("# enabled = true", "enabled = false")  # the dashboard is tested in tests/integration/api
    path = tmp_path / "theo.toml"
    path.write_text(text)
    return path


def _status(cfg: Path) -> dict[str, object]:
    r = theo("status", "-c", str(cfg), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _trades(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("select count(*) from trades where entry_qty > 0").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet, or the writer holds the lock
        return 0


def test_run_trades_the_synthetic_market_and_resumes_after_sigkill_without_duplicates(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    env = {**os.environ}
    env.pop("THEO_CONFIG", None)
    proc = subprocess.Popen([*THEO, "run", "-c", str(cfg)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    traded = 0
    while time.monotonic() < deadline and not traded:
        time.sleep(1)
        traded = _trades(tmp_path / "var" / "theo.db")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert traded, "no trade within a minute"
    crashed = _status(cfg)
    first = crashed
    assert str(crashed["status"]).startswith("crashed")
    r = theo("run", "-c", str(cfg), "--duration", "4")
    assert r.returncode == 0, r.stderr
    after = _status(cfg)
    assert after["status"] == "stopped"
    assert after["run"] == crashed["run"] + 1
    assert after["lineage"] == crashed["lineage"]
    import sqlite3

    db = sqlite3.connect(tmp_path / "var" / "theo.db")
    dup = db.execute("select kind, key, count(*) from engine_journal group by kind, key having count(*) > 1").fetchall()
    assert dup == []
    # Every order is born from one signal leg (its id derives from the signal): a restart sends none twice.
    entries = db.execute("select signal_id, count(*) from orders where tag = 'entry' group by signal_id "
                         "having count(*) > 1").fetchall()
    assert entries == []
    assert db.execute("select count(*) - count(distinct exec_id) from fills").fetchone()[0] == 0
    old_trades = {t["id"] for t in first["open_trades"]}  # type: ignore[union-attr]
    trades = {row[0] for row in db.execute("select id from trades")}
    assert old_trades <= trades
    r = theo("positions", "-c", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "journal and broker agree" in r.stdout


def test_sigterm_stops_the_run_cleanly(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    env = {**os.environ}
    env.pop("THEO_CONFIG", None)
    proc = subprocess.Popen([*THEO, "run", "-c", str(cfg)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _journal_rows(tmp_path / "var" / "theo.db"):
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    info = _status(cfg)
    assert info["status"] == "stopped"
    assert info["stopped"]


def _journal_rows(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("select count(*) from engine_runs").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
