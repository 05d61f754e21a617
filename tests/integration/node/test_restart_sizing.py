"""A paper replay sized by risk percent, stopped mid-session (cleanly, or killed with SIGKILL) and restarted on the
same store, sends the same orders (quantities included) and makes the same deals as the uninterrupted run.

The sizing reads the account's start-of-day equity and positions (day-trading buying power, market-rules.md
§1.1): a restarted run must rebuild them as the uninterrupted run fixed them, from the journal's fills before the
day and the marks at the session's first event, not from the marks and fills it finds when it restarts.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.services import kit
from theo.config import TheoConfig
from theo.node.paper import PaperRun

pytestmark = pytest.mark.slow

# The services' reference config: no quantity, so the strategies size by risk percent of the account's equity,
# capped by the limits (the day-trading buying power among them).
CONFIG = """
[app]
data_dir = "{folder}/var"

[api]
enabled = false

[marketdata]
feed = "replay"

[engine]
status_interval = 0.001
heartbeat_seconds = 0.2
replay = [{replay}]
""" + kit.STRATEGIES


def _config(folder: Path, files: list[Path]) -> tuple[Path, TheoConfig]:
    from theo.config.loader import load_config

    replay = ", ".join(f'{{ path = "{p}", symbol = "{p.name.split("_")[0]}" }}' for p in files)
    path = folder / "theo.toml"
    path.write_text(CONFIG.format(folder=folder, replay=replay), encoding="utf-8")
    return path, load_config(path)


def _run(cfg: TheoConfig, until: datetime | None = None) -> str:
    from theo.cli.common import open_store

    store = open_store(cfg)
    run = PaperRun(cfg, store, speed=None)

    def check(r: PaperRun) -> None:
        if until is not None and r.state.sim_now is not None and r.state.sim_now >= until:
            r.stop.set()

    try:
        return asyncio.run(run.run(check))
    finally:
        store.dispose()


def _rows(cfg: TheoConfig) -> dict[str, Any]:
    return kit.rows(cfg.database_url())


def _assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Every order's quantity first (the sizing, the clearest message), then every order and deal whole."""
    want_q = {r[0]: r[3] for r in want["orders"]}
    got_q = {r[0]: r[3] for r in got["orders"]}
    assert {k: (want_q.get(k), got_q.get(k)) for k in want_q.keys() | got_q.keys()
            if want_q.get(k) != got_q.get(k)} == {}
    assert got["orders"] == want["orders"]
    assert got["deals"] == want["deals"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, Any]]:
    """The tick files of one session and what an uninterrupted run makes of them."""
    folder = tmp_path_factory.mktemp("whole")
    files = kit.write_ticks(folder)
    _, cfg = _config(folder, files)
    assert _run(cfg) == "completed"
    reference = _rows(cfg)
    assert len(reference["deals"]) > 10
    sizes = {r[3] for r in reference["orders"] if r[2] == "entry"}
    assert len(sizes) > 3  # sized from the equity and the caps, not one fixed quantity
    return files, reference


@pytest.mark.parametrize("hour", [15, 16, 18])
def test_a_cleanly_stopped_and_restarted_run_sizes_and_deals_as_the_uninterrupted_one(
        session: tuple[list[Path], dict[str, Any]], tmp_path: Path, hour: int) -> None:
    files, reference = session
    _, cfg = _config(tmp_path, files)
    assert _run(cfg, datetime(2026, 1, 6, hour, 7, tzinfo=UTC)) == "stopped"
    half = _rows(cfg)
    assert 0 < len(half["orders"]) < len(reference["orders"])  # it traded before it stopped
    assert _run(cfg) == "completed"
    _assert_same(_rows(cfg), reference)


def test_a_run_killed_mid_session_and_restarted_sizes_and_deals_as_the_uninterrupted_one(
        session: tuple[list[Path], dict[str, Any]], tmp_path: Path) -> None:
    files, reference = session
    path, cfg = _config(tmp_path, files)
    log = tmp_path / "run.log"
    proc = kit.theo("run", "-c", str(path), "--speed", "4000", cwd=tmp_path, log=log)  # ~6 s of session
    db = tmp_path / "var" / "theo.db"

    def orders() -> int:
        try:
            with sqlite3.connect(db) as conn:
                return int(conn.execute("select count(*) from orders").fetchone()[0])
        except sqlite3.Error:
            return 0

    kit.until(lambda: orders() >= len(reference["orders"]) // 3, 60, "a third of the orders")
    assert proc.poll() is None, log.read_text()[-3000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert orders() < len(reference["orders"])  # killed mid-session
    assert _run(cfg) == "completed"
    _assert_same(_rows(cfg), reference)
