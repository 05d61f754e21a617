"""`theo run` stops at once on SIGTERM while it catches up on the account's history, and the next start resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

THEO = [sys.executable, "-m", "theo.cli.main"]
CONFIG = """
[app]
data_dir = "{data}"

[engine]
speed = 600

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


@pytest.mark.slow
def test_sigterm_during_catch_up_stops_within_seconds_and_the_next_start_resumes(tmp_path: Path) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(CONFIG.format(data=tmp_path / "var"), encoding="utf-8")
    db = tmp_path / "var" / "theo.db"
    first = subprocess.run([*THEO, "run", "-c", str(cfg), "--unlimited", "--duration", "8"], cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(db) as conn:
        orders = conn.execute("select count(*) from orders").fetchone()[0]
        checkpoint, counters = conn.execute("select state, counters from engine_runs where id = 1").fetchone()
    assert orders > 10

    proc = subprocess.Popen([*THEO, "run", "-c", str(cfg), "--duration", "60"], cwd=REPO, env=_env(),
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
    assert int(str(stopped["items"])) > 0  # it was feeding history when the signal came
    assert _events(out, "run.caught_up") == []
    with sqlite3.connect(db) as conn:
        status, state = conn.execute("select status, state from engine_runs where id = 2").fetchone()
        assert conn.execute("select count(*) from orders").fetchone()[0] == orders  # nothing sent
    assert status == "stopped"
    assert json.loads(state) == json.loads(checkpoint)  # the checkpoint it resumed from, unchanged

    again = subprocess.run([*THEO, "run", "-c", str(cfg), "--duration", "1"], cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    log = again.stdout + again.stderr
    [caught] = _events(log, "run.caught_up")
    assert int(str(caught["items"])) >= json.loads(counters)["items"] > 100_000  # from the first run's checkpoint
    assert _events(log, "run.resumed"), log[-2000:]
    with sqlite3.connect(db) as conn:
        dup = conn.execute("select signal_id from orders where tag = 'entry' group by signal_id "
                           "having count(*) > 1").fetchall()
        lineages = {json.loads(s)["lineage"] for (s,) in conn.execute("select state from engine_runs")}
    assert dup == []
    assert lineages == {1}
