"""`theo collect`: record a feed's ticks and bars into the store, no trading; a summary per symbol at the end."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import datetime, time, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from theo.cli.common import (
    ConfigOption,
    console,
    err_console,
    friendly_errors,
    get_config,
    is_terminal,
    open_store,
)
from theo.cli.tables import WIDE
from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.core.time import exchange_time

FeedOption = Annotated[str | None, typer.Option(
    "--feed", help="synthetic (seeded market), replay (files; --replay), ibkr (TWS / IB Gateway) or polygon "
    "(key from the environment); ibkr and polygon are real time and need --symbols; default \\[collector] feed, "
    "else \\[marketdata] feed", show_default=False)]


def parse_until(value: str, today: datetime) -> datetime:
    """``--until``: ``HH:MM`` (New York time, on the collector's current date) or an ISO date-time (naive = New
    York time); a :class:`ConfigError` says what is accepted."""
    from theo.core.calendar import ET

    text = value.strip()
    try:
        if len(text) <= 5 and ":" in text:
            hh, mm = (int(p) for p in text.split(":"))
            return datetime.combine(today.astimezone(ET).date(), time(hh, mm), tzinfo=ET)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--until {value!r}: give a New York time HH:MM (e.g. 16:00) or a date-time "
                          "2026-01-05T16:00 (New York time unless it names an offset)") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=ET)


def _symbols(arg: str | None, config: TheoConfig) -> list[str]:
    from theo.model.symbols import parse_symbol

    if arg is None:
        return list(config.collector.symbols)
    return [parse_symbol(s, what="--symbols") for s in arg.split(",") if s.strip()]


def collect(config: ConfigOption = None,
            symbols: Annotated[str | None, typer.Option(
                "--symbols", help="comma-separated symbols (default \\[collector] symbols, else every symbol the "
                "feed offers)", show_default=False)] = None,
            feed: FeedOption = None,
            replay: Annotated[list[str] | None, typer.Option(
                "--replay", help="with --feed replay: a tick/bar file, PATH or SYMBOL=PATH; repeat per file",
                show_default=False)] = None,
            speed: Annotated[float | None, typer.Option(
                "--speed", help="synthetic/replay: simulated seconds per wall second (default \\[engine] speed)",
                min=0.001, show_default=False)] = None,
            unlimited: Annotated[bool, typer.Option(
                "--unlimited", help="synthetic/replay: as fast as possible")] = False,
            until: Annotated[str | None, typer.Option(
                "--until", help="stop at this New York time (HH:MM) or date-time, on the feed's clock (the data's "
                "time for synthetic and replay)", show_default=False)] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False) -> None:
    """Record a feed into the store: quality gate, ticks (batched), bars; no trading. Ctrl-C stops cleanly.

    While the database is unreachable, writes go to a local spool and are replayed in order when it is back."""
    from theo.cli.run_cmd import _replay_files
    from theo.core.bus.memory import InMemoryBus
    from theo.node.services.collect_feeds import build_feed
    from theo.node.services.collect_summary import CollectSummary
    from theo.node.services.collector import Collector

    cfg = get_config(config)
    kind = (feed or cfg.collector.feed or ("replay" if replay else cfg.marketdata.feed)).strip().lower()
    if unlimited and speed is not None:
        raise ConfigError("--speed and --unlimited exclude each other; pick one")
    if replay and kind != "replay":
        raise ConfigError(f"--replay files are read by --feed replay, not --feed {kind}")
    wanted = _symbols(symbols, cfg)
    files = _replay_files(replay) if replay else []
    built = build_feed(cfg, kind, replay=files, speed=None if unlimited else (speed or cfg.engine.speed),
                       symbols=wanted)
    stop_at = None
    if until:
        start = built.clock.now() if kind != "replay" else _first_day(built.feed)
        stop_at = parse_until(until, start)
        if stop_at <= start:
            raise ConfigError(f"--until {until}: {exchange_time(stop_at)} is not after the feed's time "
                              f"{exchange_time(start)}; give a later time, or a date-time such as "
                              f"{(start + timedelta(days=1)).date().isoformat()}T{until}")
    db = open_store(cfg)

    def session_end(summary: CollectSummary) -> None:
        _print(summary, as_json, title="session end")

    collector = Collector(cfg, db, built.feed, InMemoryBus(), clock=built.clock, symbols=wanted, until=stop_at,
                          on_session_end=session_end)
    err_console.print(f"collecting {', '.join(wanted or built.offered)} from {built.feed.name} into "
                  f"{_where(cfg)}; Ctrl-C stops", soft_wrap=True, highlight=False)

    async def main() -> CollectSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await collector.run(stop)

    summary = asyncio.run(main())
    _print(summary, as_json, title=summary.stop_reason)


def _first_day(feed: object) -> datetime:
    """The first event's time of a replay (``--until HH:MM`` is on its first day)."""
    from theo.adapters.sim.replay import ReplayFeed
    from theo.data.feeds.base import event_time

    assert isinstance(feed, ReplayFeed)
    for ev in feed.events():
        return event_time(ev)
    raise ConfigError("the replay files hold no events")


def _where(cfg: TheoConfig) -> str:
    from theo.config.loader import redact

    return redact(cfg.database_url())


def _print(summary: object, as_json: bool, *, title: str) -> None:
    from theo.node.services.collect_summary import CollectSummary

    assert isinstance(summary, CollectSummary)
    if as_json:
        console.print_json(json.dumps(summary.as_dict()))
        return
    days = summary.days()
    when = f" on {days[0]}" if len(days) == 1 else (f" from {days[0]} to {days[-1]}" if days else "")
    table = Table(title=f"collected from {summary.feed}{when}, times in New York ({title})", title_justify="left")
    for h in CollectSummary.HEADERS:
        table.add_column(h, justify="left" if h in ("symbol", "rejected", "source") else "right")
    for row in summary.rows():
        table.add_row(*row)
    if summary.symbols:
        # a pipe or a journal has no width: print the whole table rather than 80 columns of ellipses
        (console if is_terminal() else Console(width=WIDE)).print(table)
    else:
        console.print(f"nothing collected from {summary.feed} ({title})", highlight=False)
    notes = []
    if summary.outages:
        notes.append(f"database outages: {summary.outages}")
    if summary.spool_torn_bytes:
        notes.append(f"an interrupted spool write of {summary.spool_torn_bytes} bytes was cut off at start "
                     "(the crash happened before it was acknowledged)")
    if summary.spool_pending:
        notes.append("the database is still out: what was not stored waits in the spool and is replayed when "
                     "theo collect starts again")
    ended = exchange_time(summary.ended) if summary.ended else "-"
    console.print(f"started {exchange_time(summary.started)}, ended {ended}" + "".join(f"; {n}" for n in notes),
                  soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("collect")(friendly_errors(collect))
