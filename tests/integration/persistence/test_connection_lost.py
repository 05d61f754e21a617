"""``theo run`` on PostgreSQL whose connections the server terminates: a clear stop or a carry-on, never a
traceback, and nothing lost: after a restart the journal holds exactly the simulated broker's fills."""

from __future__ import annotations

import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.integration.persistence.cli_proc import THEO, clean_env, paper_config, theo
from theo.adapters.sim.state import load_state
from theo.persistence.db import make_engine
from theo.persistence.repositories.orders import SqlOrderJournal


def _terminate_backends(admin_url: str, database: str, rounds: int) -> int:
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    killed = 0
    try:
        with admin.connect() as conn:
            for _ in range(rounds):
                killed += int(conn.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar_one())
                time.sleep(0.15)
    finally:
        admin.dispose()
    return killed


def _run_status(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        statuses = [str(s) for (s,) in conn.execute(text("SELECT status FROM engine_runs ORDER BY id"))]
    engine.dispose()
    return statuses


def _wait_until_trading(url: str, proc: subprocess.Popen[str]) -> None:
    engine = make_engine(url)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            with engine.connect() as conn:
                running = conn.execute(text("SELECT count(*) FROM engine_runs WHERE status = 'running'")).scalar_one()
                orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
            if running and orders:
                return
            time.sleep(0.2)
        pytest.fail("theo run placed no order within 60 s")
    finally:
        engine.dispose()


@pytest.mark.slow
def test_terminated_connections_stop_the_run_cleanly_or_not_at_all_and_lose_nothing(
        tmp_path: Path, fresh_pg_url: str, pg_database_url: str) -> None:
    cfg = paper_config(tmp_path, fresh_pg_url)
    database = fresh_pg_url.rsplit("/", 1)[1]
    assert theo("db", "upgrade", "--config", str(cfg)).returncode == 0
    proc = subprocess.Popen([THEO, "run", "--config", str(cfg), "--duration", "15", "--unlimited"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    _wait_until_trading(fresh_pg_url, proc)
    killed = _terminate_backends(pg_database_url, database, rounds=20)
    out, err = proc.communicate(timeout=60)
    output = out + err
    assert killed >= 1
    assert "Traceback" not in output, output[-3000:]
    if proc.returncode == 0:  # carried on over new connections
        assert _run_status(fresh_pg_url)[-1] in ("stopped", "completed")
    else:
        assert proc.returncode == 2
        assert f"lost the connection to the database postgresql+psycopg://postgres@127.0.0.1:5432/{database}" \
            in output, output[-3000:]
        assert "start the command again" in output
        # Written at the stop, or (the server still refusing then) by the next start, never "stopped".
        assert _run_status(fresh_pg_url)[-1] in ("crashed", "running")
    # The restart reconciles with the broker: every broker fill is in the journal, positions agree.
    again = theo("run", "--config", str(cfg), "--duration", "2", "--unlimited")
    assert again.returncode == 0, again.stderr[-3000:]
    first = _run_status(fresh_pg_url)[-2]
    assert first == "crashed" if proc.returncode else first in ("stopped", "completed")
    engine = make_engine(fresh_pg_url)
    journal = SqlOrderJournal(engine, broker="sim")
    state = load_state(tmp_path / "var" / "sim_broker.db", Decimal(100000))
    assert state.executions, "the run traded nothing: the test proves nothing"
    assert {e.exec_id for e in state.executions} == journal.exec_ids()
    assert journal.positions() == {k: p.quantity for k, p in state.positions.items() if p.quantity != 0}
    orders = {o.client_order_id for o in journal.load_orders()}
    assert set(state.orders) <= orders
    engine.dispose()
