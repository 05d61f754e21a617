"""Test kit for the services: a deterministic tick file, the config file, fresh PostgreSQL databases, the
service subprocesses and the rows two runs must agree on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import pg_database

# No quantity: the strategies' default sizing, risk percent of the account's equity, capped by the limits (the
# day-trading buying power among them); a killed and restarted service sizes every entry as the single process.
STRATEGIES = """
[risk.account.limits]
max_active_trades = 50
max_trades_per_day = 500
max_total_risk_pct = 100

[[strategies]]
type = "zscore_reversion"
name = "z"
symbols = ["SPY"]
timeframe = "1m"
lookback = 30

[[strategies]]
type = "donchian_breakout"
name = "don"
symbols = ["SPY", "QQQ"]
timeframe = "5m"
entry_period = 12
exit_period = 6
stop_loss_pct = 0.3
take_profit_pct = 0.6
trail_pct = 0.2
"""


def write_ticks(folder: Path, hours: float = 6.5, per_minute: float = 10.0) -> list[Path]:
    """SPY and QQQ tick files of the seeded synthetic market over one session (``ts,price,size``)."""
    from theo.adapters.sim.synthetic import SyntheticMarket
    from theo.core.time import to_us
    from theo.data.config import SyntheticConfig

    market = SyntheticMarket(SyntheticConfig(ticks_per_minute=per_minute, seed=11))
    start = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)
    end = datetime.fromtimestamp(start.timestamp() + hours * 3600, tz=UTC)
    rows: dict[str, list[str]] = {"SPY": [], "QQQ": []}
    for tick in market.events_between(start, end):
        us = to_us(tick.ts)
        rows[tick.symbol].append(f"{datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()},{tick.price!r},"
                                 f"{tick.size!r}")
    paths = []
    for symbol, lines in rows.items():
        path = folder / f"{symbol}_ticks.csv"
        path.write_text("ts,price,size\n" + "\n".join(lines) + "\n")
        paths.append(path)
    return paths


def write_config(folder: Path, db_url: str, prefix: str, files: list[Path]) -> Path:
    """A config file: the strategies, the store, the bus (its own prefix: parallel tests do not meet)."""
    replay = ", ".join(f'{{ path = "{p}", symbol = "{p.name.split("_")[0]}" }}' for p in files)
    text = f"""
[app]
data_dir = "{folder / 'var'}"

[database]
url = "{db_url}"

[api]
enabled = false
port = 0

[bus]
kind = "nats"
prefix = "{prefix}"

[marketdata]
feed = "replay"

[engine]
replay = [{replay}]
{STRATEGIES}"""
    path = folder / "theo.toml"
    path.write_text(text)
    return path


def fresh_database() -> AbstractContextManager[str]:
    """A new, empty PostgreSQL database (dropped afterwards)."""
    return pg_database("theo_svc")


def migrate(db_url: str) -> None:
    """`theo db upgrade` on the store (in this process: the services refuse a store that is not migrated)."""
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    store = connect(db_url)
    SchemaRepository(store).upgrade()
    store.dispose()


def theo(*args: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start ``theo ARGS`` as its own process (output to ``log``)."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
    env.pop("NOTIFY_SOCKET", None)
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "theo.cli.main", *args], cwd=cwd, env=env, stdout=out,
                            stderr=subprocess.STDOUT)


def wait(proc: subprocess.Popen[bytes], timeout: float, log: Path) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"{proc.args!r} still runs after {timeout} s; its log:\n{log.read_text()[-4000:]}"
                             ) from None


def rows(db_url: str) -> dict[str, Any]:
    """What two runs must agree on: every order (kind, prices, state, fills) and every deal."""
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore

    store = connect(db_url)
    try:
        orders = sorted(((o.client_order_id, o.request.order_type.value, o.request.tag.value, o.request.quantity,
                          o.request.limit_price, o.request.stop_price, o.status.value, o.filled_qty,
                          o.avg_fill_price, tuple((f.exec_id, f.ts, f.price, f.quantity) for f in o.fills))
                         for o in SqlOrderJournal(store).load_orders()), key=lambda r: str(r[0]))
        deals = sorted(((t.entry_order_id, t.entry_ts, t.entry_price, t.entry_qty, t.exit_ts, t.exit_price,
                         t.exit_qty, t.realised, t.charges, t.exit_reason and t.exit_reason.value)
                        for t in SqlTradeStore(store).load_trades()), key=lambda r: str(r[0]))
        return {"orders": orders, "deals": deals}
    finally:
        store.dispose()


def until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
