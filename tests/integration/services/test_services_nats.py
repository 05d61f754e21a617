"""The services as real processes on NATS and PostgreSQL give the single process's orders and deals; a service
killed (SIGKILL) mid-session and restarted loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.services import kit
from tests.integration.services.conftest import NATS_URL

pytestmark = [pytest.mark.nats, pytest.mark.slow, pytest.mark.xdist_group("services-nats")]  # one reference run


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, Any]]:
    """The tick files and what the single process (`theo run`'s PaperRun, in-process bus) makes of them."""
    from theo.config.loader import load_config
    from theo.node.paper import PaperRun
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    folder = tmp_path_factory.mktemp("single")
    files = kit.write_ticks(folder)
    with kit.fresh_database() as url:
        cfg = load_config(kit.write_config(folder, url, "unused", files))
        assert cfg.bus.kind == "nats"  # the single process ignores it: the in-process bus is always its own
        store = connect(url)
        SchemaRepository(store).upgrade()
        assert asyncio.run(PaperRun(cfg, store, speed=None).run()) == "completed"
        store.dispose()
        reference = kit.rows(url)
    assert len(reference["orders"]) > 30
    assert len(reference["deals"]) > 10
    return files, reference


def _start(folder: Path, config: Path, name: str, *extra: str) -> Any:
    return kit.theo("service", "run", name, "--config", str(config), *extra, cwd=folder, log=folder / f"{name}.log")


def _messages(prefix: str, topics: str = "ticks.>") -> int:
    """Messages the stream holds on ``topics``."""
    from theo.core.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix).start()
    try:
        info = bus._call(bus._js.stream_info(bus.stream, subjects_filter=f"{prefix}.{topics}"), 5.0)
        return sum((info.state.subjects or {}).values())
    finally:
        bus.close()


def _stored(url: str) -> tuple[int, set[tuple[str, str, int]]]:
    """Ticks recorded by the collector, and the (symbol, timeframe, start) of the aggregator's stored bars."""
    from sqlalchemy import func, select

    from theo.core.time import to_us
    from theo.persistence.models.core import BarRow, TickRow
    from theo.persistence.repositories import connect

    store = connect(url)
    try:
        with store.connect() as conn:
            ticks = int(conn.execute(select(func.count()).select_from(TickRow)).scalar_one())
            bars = {(r.symbol, r.timeframe, to_us(r.start)) for r in conn.execute(
                select(BarRow.symbol, BarRow.timeframe, BarRow.start))}
        return ticks, bars
    finally:
        store.dispose()


def _expected_bars(files: list[Path]) -> set[tuple[str, str, int]]:
    """Every minute and five minutes with a tick, per symbol."""
    from datetime import datetime

    out = set()
    for f in files:
        symbol = f.name.split("_")[0]
        for line in f.read_text().splitlines()[1:]:
            us = int(datetime.fromisoformat(line.split(",")[0]).timestamp() * 1_000_000)
            out.add((symbol, "1m", us - us % 60_000_000))
            out.add((symbol, "5m", us - (us - 1_800_000_000) % 300_000_000))  # session opens at :30
    return out


def test_services_on_nats_give_the_single_process_orders_and_deals(tmp_path: Path, nats_prefix: str,
                                                                   session: tuple[list[Path], dict[str, Any]]
                                                                   ) -> None:
    files, reference = session
    with kit.fresh_database() as url:
        config = kit.write_config(tmp_path, url, nats_prefix, files)
        kit.migrate(url)
        aggregator, trader = (_start(tmp_path, config, n) for n in ("aggregator", "trader"))
        collector = _start(tmp_path, config, "collector", "--unlimited")
        assert kit.wait(collector, 60, tmp_path / "collector.log") == 0
        assert kit.wait(trader, 60, tmp_path / "trader.log") == 0  # it ends at the collector's feed.ended
        kit.until(lambda: "aggregator.stopped" in (tmp_path / "aggregator.log").read_text() or
                  aggregator.poll() is not None or _stored(url)[1] >= _expected_bars(files), 30, "the bars")
        aggregator.send_signal(signal.SIGINT)
        assert kit.wait(aggregator, 30, tmp_path / "aggregator.log") == 0
        assert kit.rows(url) == reference
        ticks, bars = _stored(url)
        lines = sum(len(f.read_text().splitlines()) - 1 for f in files)
        assert ticks == lines == _messages(nats_prefix)  # every tick recorded and published, once
        assert bars >= _expected_bars(files)  # every minute and five minutes with a tick has its bar
        assert _messages(nats_prefix, "bars.>") == len(bars)  # the aggregator published each bar once


def _progress(prefix: str) -> dict[str, int]:
    """Ticks in the stream, and the stream sequence each durable consumer has acknowledged."""
    from theo.core.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix).start()

    async def look() -> dict[str, int]:
        info = await bus._js.stream_info(bus.stream, subjects_filter=f"{prefix}.ticks.>")
        out = {"collector": sum((info.state.subjects or {}).values())}
        for name in ("trader", "aggregator"):
            try:
                c = await bus._js.consumer_info(bus.stream, name)
                out[name] = c.ack_floor.stream_seq if c.ack_floor else 0
            except Exception:
                out[name] = 0
        return out

    try:
        return bus._call(look(), 5.0)
    finally:
        bus.close()


def test_a_service_killed_mid_session_and_restarted_loses_and_duplicates_nothing(
        tmp_path: Path, nats_prefix: str, session: tuple[list[Path], dict[str, Any]]) -> None:
    files, reference = session
    lines = sum(len(f.read_text().splitlines()) - 1 for f in files)
    with kit.fresh_database() as url:
        config = kit.write_config(tmp_path, url, nats_prefix, files)
        kit.migrate(url)
        procs = {n: _start(tmp_path, config, n) for n in ("aggregator", "trader")}
        procs["collector"] = _start(tmp_path, config, "collector", "--speed", "3000")  # ~8 s of session
        # each one is killed once it has done part of the work: the collector a fifth of the ticks in, the
        # trader and the aggregator once they have acknowledged two fifths and three fifths of the stream
        for name, share in (("collector", 0.2), ("trader", 0.4), ("aggregator", 0.6)):
            kit.until(lambda n=name, f=share: _progress(nats_prefix)[n] >= f * lines, 60, f"{name} at {share:.0%}")
            assert procs[name].poll() is None, f"{name} ended before it was killed"
            procs[name].send_signal(signal.SIGKILL)
            procs[name].wait(10)
            extra = ("--speed", "3000") if name == "collector" else ()
            procs[name] = _start(tmp_path, config, name, *extra)
        assert kit.wait(procs["collector"], 90, tmp_path / "collector.log") == 0
        assert kit.wait(procs["trader"], 90, tmp_path / "trader.log") == 0
        kit.until(lambda: _stored(url)[1] >= _expected_bars(files), 30, "the bars")
        procs["aggregator"].send_signal(signal.SIGINT)
        assert kit.wait(procs["aggregator"], 30, tmp_path / "aggregator.log") == 0
        assert kit.rows(url) == reference
        ticks, bars = _stored(url)
        assert ticks == lines == _messages(nats_prefix)  # every tick recorded and published, once
        assert bars >= _expected_bars(files)  # every minute and five minutes with a tick has its bar
        assert _messages(nats_prefix, "bars.>") == len(bars)  # the aggregator published each bar once
        collector = (tmp_path / "collector.log").read_text()
        assert "collector.resuming" in collector  # the restarted collector went on after the stored ticks
        for name in ("trader", "aggregator"):  # and rebuilt their state from the stream
            assert "service.rebuilding" in (tmp_path / f"{name}.log").read_text(), name
