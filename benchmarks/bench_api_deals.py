"""The dashboard's trades and deals reads with 100,000 deals stored: page latency (p50/p99) and the full CSV
export, through the real app served by uvicorn on loopback (HTTP/1.1, a bearer token), on SQLite and, when
reachable, PostgreSQL.

Each deal is a closed trade with its entry and exit orders and one fill each (charges included), written in bulk
(Core inserts) before timing; every figure is measured after one warm-up request. CPU time is the process's
(server and client share it), beside the wall time.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.common import Result, Section
from benchmarks.scratch_pg import PG_URL, ScratchDatabases

DEALS = int(os.environ.get("THEO_BENCH_DEALS", "100000"))
REQUESTS = 200
SYMBOLS = ("SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "AMD")


def _rows(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    t0 = datetime(2020, 1, 2, 14, 30, tzinfo=UTC)
    trades, orders, fills = [], [], []
    fee = {f: Decimal(0) for f in ("exchange_fee", "clearing_fee", "sec_fee", "finra_taf", "cat_fee", "orf",
                                   "occ_fee", "nfa_fee", "other_fee")}
    for i in range(n):
        sym = SYMBOLS[i % len(SYMBOLS)]
        entry_ts = t0 + timedelta(minutes=7 * i)
        exit_ts = entry_ts + timedelta(minutes=5)
        side, exit_side = ("BUY", "SELL") if i % 3 else ("SELL", "BUY")
        qty = Decimal(10 + i % 90)
        entry = Decimal(100) + Decimal(i % 500) / 10
        exit_ = entry + Decimal((i % 41) - 20) / 10
        gross = (exit_ - entry) * qty * (1 if side == "BUY" else -1)
        charges = Decimal("2.00")
        cid, xid = f"bench-{i}-entry", f"bench-{i}-x"
        trades.append({"account": "", "strategy": f"s{i % 4}", "ss_type": "bench",
                       "ss_signal_type": "Long" if side == "BUY" else "Short", "symbol": sym, "side": side,
                       "status": "Closed", "planned_qty": qty, "entry_qty": qty, "exit_qty": qty,
                       "entry_price": entry, "exit_price": exit_, "stop": None, "initial_stop": None,
                       "target": None, "trailing_pct": None, "risk": Decimal(0), "realised_pnl": gross,
                       "charges": charges, "net_pnl": gross - charges, "exit_reason": "exit_rule",
                       "comment": "Exit rule", "multiplier": Decimal(1), "entry_order_id": cid,
                       "exit_order_ids": xid, "signal_id": i, "entry_ts": entry_ts, "exit_ts": exit_ts,
                       "created_at": entry_ts, "updated_at": exit_ts})
        for oid, s, ts, px in ((cid, side, entry_ts, entry), (xid, exit_side, exit_ts, exit_)):
            orders.append({"client_order_id": oid, "symbol": sym, "side": s, "quantity": qty, "order_type": "MARKET",
                           "limit_price": None, "stop_price": None, "trail_amount": None, "trail_percent": None,
                           "trail_trigger": None, "tif": "DAY", "routing": "SMART", "allocation": "NONE",
                           "product_type": "MARGIN", "outside_rth": False, "reduce_only": oid == xid,
                           "tag": "entry" if oid == cid else "exit", "account": "", "broker": "sim",
                           "strategy": f"s{i % 4}", "signal_id": i, "parent_id": None, "oco_group": None,
                           "received_at": ts, "entered_at": ts, "cancelled_at": None, "status": "FILLED",
                           "filled_qty": qty, "avg_fill_price": px, "reason": "", "actor": "", "revision": 0,
                           "created_at": ts, "updated_at": ts})
            fills.append({"exec_id": f"{oid}-1", "client_order_id": oid, "broker": "sim", "symbol": sym, "side": s,
                          "quantity": qty, "price": px, "ts": ts, "received_at": ts, "commission": Decimal(1),
                          **fee, "total_charges": Decimal(1), "charges_source": "model",
                          "fee_schedule_version": "bench"})
    return trades, orders, fills


def _fill(engine: Any, n: int) -> float:
    from sqlalchemy import insert

    from theo.persistence.models.orders import FillRow, OrderRow
    from theo.persistence.models.trades import TradeRow

    t0 = time.perf_counter()
    trades, orders, fills = _rows(n)
    with engine.begin() as conn:
        for model, rows in ((OrderRow, orders), (FillRow, fills), (TradeRow, trades)):
            for lo in range(0, len(rows), 10_000):
                conn.execute(insert(model), rows[lo:lo + 10_000])
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def _serve(app: Any) -> tuple[str, Callable[[], None]]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join()

    return f"http://127.0.0.1:{port}", stop


def _timed(client: Any, path: str, n: int) -> tuple[float, float, float]:
    """p50 and p99 (ms) of ``n`` requests, and the process CPU per request (ms)."""
    assert client.get(path).status_code == 200  # warm-up
    times = []
    cpu0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    cpu = (time.process_time() - cpu0) * 1000 / n
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], cpu


def _measure(engine: Any, label: str) -> list[Result]:
    import httpx

    from theo.api.app import create_app
    from theo.api.auth.passwords import hash_password
    from theo.api.services.context import ServiceContext
    from theo.config import TheoConfig
    from theo.persistence.db import upgrade

    upgrade(engine)
    setup = _fill(engine, DEALS)
    ctx = ServiceContext(config=TheoConfig(), store=engine, events=_NoEvents())
    ctx.repos.users.create("bench", hash_password("bench password 123"), "viewer", datetime.now(UTC))
    base, stop = _serve(create_app(ctx))
    out = [Result(f"{label}: store {DEALS:,} deals (trades, orders, fills; bulk insert)", setup, "s")]
    try:
        with httpx.Client(base_url=base + "/api/v1", timeout=300) as client:
            login = client.post("/auth/login", json={"username": "bench", "password": "bench password 123"})
            client.headers["Authorization"] = f"Bearer {login.json()['token']}"
            client.cookies.clear()
            cases = (("/trades first page (100)", "/trades?limit=100"),
                     ("/trades page at offset 50,000", "/trades?limit=100&offset=50000"),
                     ("/trades?symbol=NVDA&status=closed", "/trades?symbol=NVDA&status=closed&limit=100"),
                     ("/deals first page (100) + summary", "/deals?limit=100"),
                     ("/deals page at offset 90,000", "/deals?limit=100&offset=90000"),
                     ("/deals?symbol=SPY&from=2020-06-01", "/deals?symbol=SPY&from=2020-06-01&limit=100"))
            for name, path in cases:
                p50, p99, cpu = _timed(client, path, REQUESTS)
                out += [Result(f"{label}: {name} p50", p50, "ms"), Result(f"{label}: {name} p99", p99, "ms"),
                        Result(f"{label}: {name} CPU per request", cpu, "ms")]
            client.get("/deals.csv?symbol=SPY")  # warm-up
            best_wall, best_cpu, size = float("inf"), float("inf"), 0
            for _ in range(3):
                t, c = time.perf_counter(), time.process_time()
                body = client.get("/deals.csv").content
                best_wall, best_cpu = min(best_wall, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
                size = len(body)
            lines = body.count(b"\n") - 1
            assert lines == DEALS, lines
            out += [Result(f"{label}: /deals.csv all {DEALS:,} deals, wall", best_wall, "s",
                           note=f"{size / 1e6:.1f} MB"),
                    Result(f"{label}: /deals.csv all {DEALS:,} deals, CPU", best_cpu, "s")]
    finally:
        stop()
    return out


class _NoEvents:
    def publish(self, kind: str, data: dict[str, Any]) -> None:
        return None


def _pg_engine() -> tuple[Any, Callable[[], None]] | None:
    from theo.persistence.db import make_engine

    dbs = ScratchDatabases()
    if dbs.unreachable:
        print(f"PostgreSQL at {PG_URL} unreachable ({dbs.error}); SQLite only")
        return None
    engine = make_engine(dbs.create())

    def drop() -> None:
        engine.dispose()
        dbs.close()

    return engine, drop


def run() -> Section:
    from theo.persistence.db import make_engine

    section = Section(
        "API: trades and deals with 100,000 deals stored",
        "make bench BENCH=api_deals",
        notes=["Through the real app served by uvicorn on loopback (HTTP/1.1, bearer token, httpx client in the same "
               f"process), {REQUESTS} sequential requests per figure after one warm-up; p99 is the "
               f"{int(REQUESTS * 0.99)}th slowest.",
               "Pages are paged in SQL (LIMIT/OFFSET on indexed order keys; totals and the deals summary are SQL "
               "aggregates); the CSV is streamed in keyset chunks of 5,000 deals, the same bytes as "
               "`theo report deals --format csv`.",
               "CPU time is the whole process's (server and client), beside the wall time; PostgreSQL runs on "
               "the same 2-core machine, so its query time shows in the wall time only. PostgreSQL is ANALYZEd "
               "after the bulk load (as autovacuum would); SQLite is used as `theo` leaves it (no ANALYZE)."])
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'theo.db'}")
        section.results += _measure(engine, "SQLite")
        engine.dispose()
    pg = _pg_engine()
    if pg is not None:
        engine, drop = pg
        try:
            section.results += _measure(engine, "PostgreSQL")
        finally:
            drop()
    return section
