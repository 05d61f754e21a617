"""Shared pieces of the collector tests: a tick file with known prints, a configuration, a proxied database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text

from tests.integration.collector.tcp_proxy import TcpProxy
from theo.config import TheoConfig

OPEN = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)  # 09:30 New York, a Monday


def write_ticks(path: Path, n: int, step: float = 0.25, start: datetime = OPEN) -> Counter[tuple[str, float, float]]:
    """``n`` prints every ``step`` seconds (every 7th shares the previous print's timestamp); their multiset."""
    rows, prints = [], Counter[tuple[str, float, float]]()
    ts = start
    for i in range(n):
        if i % 7 != 6:
            ts = start + timedelta(seconds=step * i)
        price, size = round(450 + (i % 40) * 0.01, 2), float(100 * (1 + i % 3))
        rows.append(f"{ts.isoformat()},{price},{int(size)}")
        prints[(ts.isoformat(), price, size)] += 1
    path.write_text("ts,price,size\n" + "\n".join(rows) + "\n")
    return prints


def stored_prints(engine: Engine, symbol: str = "SPY") -> Counter[tuple[str, float, float]]:
    """The multiset of (ts, price, size) stored for ``symbol``."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ts, price, size FROM ticks WHERE symbol = :s"), {"s": symbol}).all()
    out: Counter[tuple[str, float, float]] = Counter()
    for ts, price, size in rows:
        when = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts / 1e6, UTC)
        out[(when.astimezone(UTC).isoformat(), float(price), float(size))] += 1
    return out


def collector_config(data_dir: Path, **collector: Any) -> TheoConfig:
    return TheoConfig.model_validate({"app": {"data_dir": str(data_dir)}, "collector": {
        "flush_seconds": 0.2, "retry_initial_seconds": 0.2, "retry_max_seconds": 1.0, **collector}})


@pytest.fixture
def proxy(pg_engine: Engine) -> Iterator[TcpProxy]:
    """A cuttable TCP proxy in front of the test database's server (the server itself is never stopped)."""
    url = pg_engine.url
    p = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield p
    p.close()


def proxied_url(engine: Engine, proxy: TcpProxy) -> str:
    return make_url(engine.url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
