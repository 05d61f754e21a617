"""`theo collect` killed (SIGKILL) while the database is out: the next start replays its spool, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from tests.integration.collector.conftest import collector_config, proxied_url, stored_prints, write_ticks
from tests.integration.collector.tcp_proxy import TcpProxy
from theo.adapters.sim.replay import ReplayFeed
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.core.time import from_us
from theo.data.spool import scan
from theo.data.spool_records import RecordKind, decode_ticks
from theo.node.services.collector import Collector
from theo.persistence.db import make_engine


def _wait(what: str, ok: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _spooled_ticks(path: Path) -> int:
    result = scan(path.read_bytes())
    return sum(len(decode_ticks(r.payload)[0]) for r in result.records if r.kind == RecordKind.TICKS)


def test_a_spool_left_by_a_killed_collector_is_replayed_at_the_next_start(pg_engine: Engine, proxy: TcpProxy,
                                                                          tmp_path: Path) -> None:
    data = tmp_path / "SPY_ticks.csv"
    prints = write_ticks(data, 4000)
    var = tmp_path / "var"
    spool = var / "spool" / "collector.spool"
    env = {**os.environ, "THEO__APP__DATA_DIR": str(var), "THEO__DATABASE__URL": proxied_url(pg_engine, proxy),
           "THEO__COLLECTOR__FLUSH_SECONDS": "0.2", "THEO__COLLECTOR__RETRY_INITIAL_SECONDS": "0.2",
           "THEO__COLLECTOR__RETRY_MAX_SECONDS": "1.0", "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen([sys.executable, "-m", "theo.cli.main", "collect", "--feed", "replay", "--replay",
                             f"SPY={data}", "--speed", "50"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _wait("the first ticks stored", lambda: sum(stored_prints(pg_engine).values()) > 0)
        proxy.cut()
        _wait("a spooled batch", lambda: spool.exists() and spool.stat().st_size > 0)
        time.sleep(1.0)  # a few more batches
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    in_spool = _spooled_ticks(spool)
    before = sum(stored_prints(pg_engine).values())
    assert in_spool > 0
    assert before + in_spool < 4000  # the killed run got only part of the file

    proxy.restore()
    engine = make_engine(proxied_url(pg_engine, proxy))
    collector = Collector(collector_config(var), engine, ReplayFeed([(data, "SPY")]), InMemoryBus(),
                          clock=SimulatedClock(from_us(0)))
    summary = asyncio.run(collector.run(asyncio.Event()))
    engine.dispose()
    spy = summary.symbols["SPY"]
    assert spy.replayed == in_spool  # the killed run's spool went in first
    assert spy.spooled == 0
    assert spy.stored == 4000 - before  # new rows: the spool's, and what the killed run never wrote
    assert spy.known == before + in_spool  # the file again: rows already there are kept, not doubled
    assert stored_prints(pg_engine) == prints
    assert spool.stat().st_size == 0
