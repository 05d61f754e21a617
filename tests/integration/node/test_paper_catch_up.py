"""`theo run` stops at once on SIGTERM while it catches up on the account's history, and the next start resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import structlog.testing

from tests.conftest import REPO
from theo.config import TheoConfig
from theo.node.paper import PaperRun

THEO = [sys.executable, "-m", "theo.cli.main"]
CONFIG = """
[app]
data_dir = "{data}"

[api]
enabled = false

[engine]
speed = 600
status_interval = 0.05

[risk.account.limits]
max_active_trades = 50
max_trades_per_day = 500
max_total_risk_pct = 100

[[strategies]]
type = "donchian_breakout"
name = "d"
symbols = ["SPY", "QQQ"]
timeframe = "1m"
entry_period = 5
exit_period = 3
quantity = 10
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO_")}
    return {**env, "COLUMNS": "160"}


def _events(out: str, name: str) -> list[dict[str, object]]:
    return [e for e in (json.loads(line) for line in out.splitlines() if line.startswith("{")) if e["event"] == name]


def _config(tmp_path: Path, **engine: object) -> tuple[Path, TheoConfig]:
    import tomllib

    path = tmp_path / "theo.toml"
    path.write_text(CONFIG.format(data=tmp_path / "var"), encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["engine"].update(engine)
    return path, TheoConfig.model_validate(data)


def _trade_until(cfg: TheoConfig, sim_until: timedelta) -> PaperRun:
    """A paper run as fast as possible, stopped once the synthetic market is ``sim_until`` past its start
    (whatever the machine's speed)."""
    import asyncio

    from theo.cli.common import open_store

    run = PaperRun(cfg, open_store(cfg), speed=None)
    until = cfg.engine.synthetic_start + sim_until

    def check(r: PaperRun) -> None:
        if r.state.sim_now is not None and r.state.sim_now >= until:
            r.stop.set()

    assert asyncio.run(run.run(check)) == "stopped"
    return run


@pytest.mark.slow
def test_sigterm_during_catch_up_stops_within_seconds_and_the_next_start_resumes(tmp_path: Path) -> None:
    path, cfg = _config(tmp_path)
    first = _trade_until(cfg, timedelta(days=2, hours=1))  # about 200,000 ticks to catch up on
    db = tmp_path / "var" / "theo.db"
    with sqlite3.connect(db) as conn:
        orders = conn.execute("select count(*) from orders").fetchone()[0]
        checkpoint = conn.execute("select state from engine_runs where id = 1").fetchone()[0]
    assert orders > 10

    proc = subprocess.Popen([*THEO, "run", "-c", str(path), "--duration", "60"], cwd=REPO, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # the catch-up starts right after this line
        seen.append(line)
        if "run.started" in line:
            break
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out = "".join(seen) + proc.stdout.read()
    code = proc.wait(timeout=30)
    took = time.monotonic() - t0
    assert code == 0, out
    assert took < 3.0, f"exited {took:.1f} s after SIGTERM"
    [stopped] = _events(out, "run.stopped_catching_up")
    assert 0 < int(str(stopped["items"])) < first.state.items  # it was feeding history when the signal came
    assert _events(out, "run.caught_up") == []
    with sqlite3.connect(db) as conn:
        status, state = conn.execute("select status, state from engine_runs where id = 2").fetchone()
        assert conn.execute("select count(*) from orders").fetchone()[0] == orders  # nothing sent
    assert status == "stopped"
    assert json.loads(state) == json.loads(checkpoint)  # the checkpoint it resumed from, unchanged

    again = subprocess.run([*THEO, "run", "-c", str(path), "--duration", "0"], cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    log = again.stdout + again.stderr
    assert len(_events(log, "run.caught_up")) == 1
    assert _events(log, "run.resumed"), log[-2000:]
    with sqlite3.connect(db) as conn:
        dup = conn.execute("select signal_id from orders where tag = 'entry' group by signal_id "
                           "having count(*) > 1").fetchall()
        lineages = {json.loads(s)["lineage"] for (s,) in conn.execute("select state from engine_runs")}
    assert dup == []
    assert lineages == {1}


@pytest.mark.slow
def test_a_restart_catches_up_on_the_last_catch_up_days_only_and_resumes_the_same_account(tmp_path: Path) -> None:
    import asyncio

    from theo.cli.common import open_store
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore
    from theo.trading.recovery import entry_of

    _, cfg = _config(tmp_path, catch_up_days=0.5)
    first = _trade_until(cfg, timedelta(days=1, hours=1))
    sim_now = first.state.sim_now
    assert sim_now is not None
    db = open_store(cfg)
    orders = {o.client_order_id for o in SqlOrderJournal(db).load_orders()}
    assert len(orders) > 10

    held = {p["id"] for p in first.checkpoint()["positions"]}
    again = PaperRun(cfg, db, speed=None, duration=0)  # catch up, rebuild, take one step
    with structlog.testing.capture_logs() as logs:
        assert asyncio.run(again.run()) == "stopped"
    assert again.state.resumed_to is not None
    assert again.state.resumed_to >= sim_now
    assert again.state.items < first.state.items / 2  # the last session only, not the whole account's history
    # The same account, rebuilt from the journal: checked against the checkpoint before the first new step.
    [resumed] = [e for e in logs if e["event"] in ("run.resumed", "run.resume_mismatch")]
    assert resumed["event"] == "run.resumed"
    assert resumed["positions"] == len(held)
    after = SqlOrderJournal(db).load_orders()
    assert orders <= {o.client_order_id for o in after}
    entries = [o.request.signal_id for o in after if o.request.tag.value == "entry"]
    assert len(entries) == len(set(entries))  # nothing sent twice
    trades = SqlTradeStore(db).load_trades()
    assert sum(1 for t in trades if not t.is_open) > 5
    for t in trades:  # after the restart, each trade lists its own exit orders only
        assert t.exit_orders
        assert {entry_of(cid) for cid in t.exit_orders} == {t.entry_order_id}, t.exit_orders
    db.dispose()
