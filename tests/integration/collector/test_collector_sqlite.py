"""`theo collect` on the embedded default (SQLite): what the summary says is what the store and the bus got."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.integration.collector.conftest import OPEN, collector_config, stored_prints, write_ticks
from theo.adapters.sim.replay import ReplayFeed
from theo.cli.main import app
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.core.time import from_us
from theo.model.market import Bar, Tick
from theo.node.services.collect_feeds import build_feed
from theo.node.services.collector import Collector


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_the_synthetic_market_is_recorded_and_published_as_the_summary_says(sqlite_engine: Engine,
                                                                              tmp_path: Path) -> None:
    cfg = collector_config(tmp_path / "var")
    built = build_feed(cfg, "synthetic", speed=None)
    bus = InMemoryBus()
    ticks: Counter[str] = Counter()
    bars: Counter[tuple[str, str]] = Counter()
    bus.subscribe("ticks.*", lambda _t, m: ticks.update([m.symbol]) if isinstance(m, Tick) else None)
    bus.subscribe("bars.>", lambda t, m: bars.update([(m.symbol, t)]) if isinstance(m, Bar) else None)
    until = OPEN + timedelta(minutes=20)
    summary = asyncio.run(Collector(cfg, sqlite_engine, built.feed, bus, clock=built.clock, until=until)
                          .run(asyncio.Event()))
    assert summary.stop_reason == f"reached --until {until.isoformat()}"
    assert sorted(summary.symbols) == ["QQQ", "SPY"]
    for symbol, s in summary.symbols.items():
        stored = _count(sqlite_engine, "SELECT COUNT(*) FROM ticks WHERE symbol = :s", s=symbol)
        assert s.received == s.accepted == ticks[symbol] == s.stored == stored > 1000
        assert (dict(s.rejected), s.spooled, s.replayed, s.known) == ({}, 0, 0, 0)
        assert s.bars == sum(n for (sym, _t), n in bars.items() if sym == symbol)
        assert bars[(symbol, f"bars.1m.{symbol}")] == 20  # 09:30 ... 09:49
        assert bars[(symbol, f"bars.5m.{symbol}")] == 4
        assert _count(sqlite_engine, "SELECT COUNT(*) FROM bars WHERE symbol = :s AND timeframe = '1m'",
                      s=symbol) == 20
        assert s.first is not None
        assert s.last is not None
        assert OPEN <= s.first < s.last < until
        assert dict(s.sources) == {"synthetic": s.received}
    assert summary.feed == "synthetic"
    assert not (tmp_path / "var" / "spool" / "collector.spool").read_bytes()


def test_rejected_ticks_are_counted_by_reason_and_only_accepted_ones_stored(sqlite_engine: Engine,
                                                                            tmp_path: Path) -> None:
    night = datetime(2026, 1, 5, 8, 0, tzinfo=UTC).isoformat()  # 03:00 New York: no session
    late = (OPEN + timedelta(seconds=2)).isoformat()  # 8 s behind the print before it: the file is out of order
    first, copy = tmp_path / "SPY_ticks.csv", tmp_path / "SPY_copy.csv"
    prints = write_ticks(first, 40)
    body = first.read_text().splitlines()
    text_ = "\n".join([body[0], f"{night},450.5,100", *body[1:], f"{late},450.5,100"]) + "\n"
    first.write_text(text_)
    copy.write_text(text_)  # the same prints again, with the same line numbers: delivered twice
    cfg = collector_config(tmp_path / "var")
    summary = asyncio.run(Collector(cfg, sqlite_engine, ReplayFeed([(first, "SPY"), (copy, "SPY")]), InMemoryBus(),
                                    clock=SimulatedClock(from_us(0))).run(asyncio.Event()))
    spy = summary.symbols["SPY"]
    assert (spy.received, spy.accepted, spy.stored) == (84, 40, 40)
    assert dict(spy.rejected) == {"duplicate": 40, "out_of_order": 2, "outside_session": 2}
    assert stored_prints(sqlite_engine) == prints
    assert _count(sqlite_engine, "SELECT COUNT(*) FROM quarantine WHERE symbol = 'SPY'") == 42
    assert summary.stop_reason == "the feed ended"


def test_theo_collect_runs_on_a_fresh_folder_and_prints_its_summary(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["collect", "--unlimited", "--until", "09:35", "--symbols", "SPY", "--json"],
                                catch_exceptions=False, env={"THEO__APP__DATA_DIR": str(tmp_path / "var")})
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout[result.stdout.index("{"):])
    assert body["feed"] == "synthetic"
    assert body["stop_reason"] == "reached --until 2026-01-05T09:35:00-05:00"
    [spy] = body["symbols"]
    assert spy["symbol"] == "SPY"
    assert spy["received"] == spy["accepted"] == spy["stored"] > 300
    assert spy["bars"] == 5 + 1  # five 1-minute bars and one 5-minute bar
    assert datetime.fromisoformat(spy["first_tick"]).astimezone(UTC) >= OPEN
    assert (tmp_path / "var" / "theo.db").is_file()
    again = CliRunner().invoke(app, ["collect", "--unlimited", "--until", "09:35", "--symbols", "SPY", "--json"],
                               catch_exceptions=False, env={"THEO__APP__DATA_DIR": str(tmp_path / "var")})
    assert again.exit_code == 0, again.output
    [twice] = json.loads(again.stdout[again.stdout.index("{"):])["symbols"]
    assert (twice["accepted"], twice["stored"], twice["already_stored"]) == (spy["accepted"], 0, spy["accepted"])


def test_the_summary_table_names_every_count() -> None:
    from theo.node.services.collect_summary import CollectSummary

    summary = CollectSummary("replay", OPEN)
    s = summary.symbol("SPY")
    s.received, s.accepted, s.stored, s.known, s.spooled, s.replayed, s.bars = 12, 10, 7, 3, 4, 4, 2
    s.rejected.update({"duplicate": 1, "outside_session": 1})
    s.late_for_bars = 1
    s.first, s.last = OPEN, OPEN + timedelta(minutes=5, seconds=1)
    s.sources["replay"] = 12
    assert summary.rows() == [["SPY", "12", "10", "duplicate 1, outside_session 1 (late for bars 1)", "7", "3", "4",
                               "4", "2", "09:30:00 EST", "09:35:01 EST", "replay"]]
    assert summary.days() == ["2026-01-05"]


def test_a_user_mistake_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"THEO__APP__DATA_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(app, ["collect", "--until", "25:99"], env=env)
    assert result.exit_code == 2
    assert "--until '25:99': give a New York time HH:MM" in result.output
    result = CliRunner().invoke(app, ["collect", "--until", "09:00"], env=env)
    assert result.exit_code == 2
    assert "--until 09:00: 2026-01-05 09:00:00 EST is not after the feed's time 2026-01-05 09:30:00 EST" in \
        " ".join(result.output.split())
    result = CliRunner().invoke(app, ["collect", "--symbols", "TSLA"], env=env)
    assert result.exit_code == 2
    assert "--symbols TSLA: the synthetic market has only SPY, QQQ" in result.output
    result = CliRunner().invoke(app, ["collect", "--feed", "polygon"], env=env)
    assert result.exit_code == 2
    assert "--feed polygon streams only the symbols it is asked for" in result.output


def test_the_summary_is_reported_when_the_trading_day_ends(sqlite_engine: Engine, tmp_path: Path) -> None:
    cfg = TheoConfig.model_validate({"app": {"data_dir": str(tmp_path / "var")},
                                     "marketdata": {"synthetic": {"ticks_per_minute": 5}}})
    built = build_feed(cfg, "synthetic", speed=None, symbols=["SPY"])
    reported: list[tuple[int, datetime | None]] = []
    until = OPEN + timedelta(days=1, minutes=10)  # 09:40 the next day
    summary = asyncio.run(Collector(cfg, sqlite_engine, built.feed, InMemoryBus(), clock=built.clock, until=until,
                                    on_session_end=lambda s: reported.append((s.symbols["SPY"].accepted,
                                                                              s.symbols["SPY"].last)))
                          .run(asyncio.Event()))
    [(accepted, last)] = reported  # once, at the first tick after 20:00 New York (the post-market's end)
    assert last is not None
    assert last < datetime(2026, 1, 5, 21, 0, tzinfo=UTC)  # the day's last print, before its 16:00 close
    assert 1500 < accepted < summary.symbols["SPY"].accepted
