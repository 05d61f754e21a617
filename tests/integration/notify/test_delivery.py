"""Delivery through the real client against the fake Bot API: dedup, pacing, 429, 403, an outage, quiet hours,
and the token never in a log line or an error."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TOKEN, TRADER, VIEWER, telegram_config, texts
from theo.adapters.telegram.errors import InvalidBotToken
from theo.config.app import LoggingConfig
from theo.config.telegram import AlertKind
from theo.core.bus.memory import InMemoryBus
from theo.core.logging import configure_logging
from theo.node.notify.alerts import Alert, Priority
from theo.node.notify.service import NotifierService
from theo.risk.state import State, StateChange

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def log_lines(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Every log line (structlog and the libraries' stdlib loggers) as JSON, at INFO or the given level."""
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json", level=getattr(request, "param", "INFO")), stream=out)
    try:
        yield out
    finally:
        configure_logging()


@pytest.fixture
def make(fake: FakeBotApi, tmp_path: Path, sqlite_engine: Engine) -> Iterator[Any]:
    started: list[NotifierService] = []

    def build(recipients: list[dict[str, Any]] | None = None, wall: Any = None, **telegram: Any
              ) -> tuple[NotifierService, InMemoryBus]:
        cfg = telegram_config(fake, tmp_path, recipients, commands=False, **telegram)
        service = NotifierService(cfg, sqlite_engine)
        if wall is not None:
            service.notifier.wall = wall
        bus = InMemoryBus(raise_errors=True)
        service.notifier.attach(bus)
        service.start()
        started.append(service)
        return service, bus

    yield build
    for s in started:
        s.stop(drain_seconds=0.5)


def _alert(i: int, prio: Priority = Priority.NORMAL, kind: AlertKind = AlertKind.SIGNAL) -> Alert:
    return Alert(kind, f"{kind.value}:{i}", f"{kind.value} {i}", prio, T0)


def test_the_same_event_published_twice_is_sent_once(make: Any, fake: FakeBotApi) -> None:
    service, bus = make()
    change = StateChange(T0, State.HALTED, State.ACTIVE, "spread too wide", "api:alice")
    bus.publish("risk.state", change)
    bus.publish("risk.state", change)  # a redelivery
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) >= 1 and len(fake.messages(VIEWER)) >= 1)
    time.sleep(0.3)
    assert [t.splitlines()[0] for t in texts(fake, TRADER)] == ["Trading HALTED (was ACTIVE)"]
    assert "spread too wide" in texts(fake, VIEWER)[0]
    assert service.notifier.outbox.duplicates == 2


def test_messages_to_one_chat_are_paced(make: Any, fake: FakeBotApi) -> None:
    service, _bus = make(chat_per_second=10.0, chat_burst=1)
    for i in range(5):
        service.notifier.publish(_alert(i))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 5)
    arrivals = [m.at for m in fake.messages(TRADER)]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.09  # 10 a second, no burst
    assert texts(fake, TRADER) == [f"signal {i}" for i in range(5)]


def test_a_429_is_honoured_no_send_before_retry_after(make: Any, fake: FakeBotApi) -> None:
    service, _bus = make(recipients=[{"chat_id": TRADER}])
    fake.fail_next(1, status=429, retry_after=1)
    service.notifier.publish(_alert(1))
    service.notifier.publish(_alert(2))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 3, timeout=5)
    refused, first, second = fake.messages(TRADER)
    assert first.at - refused.at >= 0.99
    assert [first.text, second.text] == ["signal 1", "signal 2"]
    assert service.worker.rate_limited == 1


def test_a_long_alert_cut_short_by_a_failure_resumes_at_the_part_telegram_did_not_take(make: Any,
                                                                                     fake: FakeBotApi) -> None:
    service, _bus = make(recipients=[{"chat_id": TRADER}], retry_max_seconds=0.2)
    first, second = "x" * 4090, "part two: the rest of the daily summary"  # 4,096 characters at most a message
    fake.fail_next(1, status=502, containing="part two")
    service.notifier.publish(Alert(AlertKind.SUMMARY, "summary:long", f"{first}\n{second}", Priority.NORMAL, T0))
    fake.wait_for(lambda: len(fake.messages(TRADER)) >= 3, timeout=5)
    time.sleep(0.3)
    assert texts(fake, TRADER) == [first, second, second]  # the refused part again, never the first one twice
    assert service.notifier.outbox.delivered == 1


def test_the_fakes_flood_limits_are_never_hit(make: Any, fake: FakeBotApi) -> None:
    from tests.fakes.telegram import Limits

    fake.limits = Limits(chat_rate=20.0, chat_burst=2, global_rate=100.0)  # Telegram's, scaled up 20 times
    service, _bus = make(recipients=[{"chat_id": TRADER}], chat_per_second=12.0, chat_burst=2)  # network jitter
    for i in range(12):
        service.notifier.publish(_alert(i))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) >= 12)
    assert service.worker.rate_limited == 0
    assert len(fake.messages(TRADER)) == 12


def test_a_blocked_chat_is_disabled_and_the_others_still_get_alerts(make: Any, fake: FakeBotApi) -> None:
    fake.block(VIEWER)
    service, _bus = make()
    for i in range(3):
        service.notifier.publish(_alert(i))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 3)
    time.sleep(0.2)
    assert len(fake.messages(VIEWER)) == 1  # one try, then the chat is off
    assert service.notifier.outbox.is_disabled(VIEWER)
    assert service.notifier.outbox.dropped["chat_blocked"] >= 1
    service.notifier.publish(_alert(9))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 4)
    assert len(fake.messages(VIEWER)) == 1


def test_an_outage_keeps_alerts_and_drops_the_oldest_summaries_first(make: Any, fake: FakeBotApi,
                                                                     log_lines: io.StringIO) -> None:
    service, _bus = make(recipients=[{"chat_id": TRADER}], queue_size=10)
    fake.go_down()
    for i in range(4):
        service.notifier.publish(_alert(i, Priority.LOW, AlertKind.SUMMARY))
    for i in range(8):
        service.notifier.publish(_alert(i))
    time.sleep(0.5)
    assert service.notifier.outbox.dropped == {"full:summary": 2}
    fake.come_back()
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 10, timeout=8)
    got = texts(fake, TRADER)
    # the two oldest summaries went (the oldest one may have been on its way out when the queue filled: a
    # message being sent is never dropped, so then the next two went)
    assert got[2:] == [f"signal {i}" for i in range(8)]
    assert got[:2] in (["summary 2", "summary 3"], ["summary 0", "summary 3"])
    events = _events(log_lines.getvalue())
    drops = [e for e in events if e["event"] == "telegram.queue_full_dropped"]
    assert [(e["kind"], e["dropped_total"]) for e in drops] == [("summary", 1), ("summary", 2)]
    names = [e["event"] for e in events]
    assert names.index("telegram.unreachable") < names.index("telegram.reachable_again")


def test_quiet_hours_let_only_urgent_alerts_through(make: Any, fake: FakeBotApi) -> None:
    night = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 23:00 in New York
    service, _bus = make(recipients=[{"chat_id": TRADER, "quiet_hours": "22:00-07:00"},
                                     {"chat_id": VIEWER}], wall=lambda: night)
    service.notifier.publish(_alert(1))
    service.notifier.publish(_alert(2, Priority.URGENT, AlertKind.RISK))
    assert fake.wait_for(lambda: len(fake.messages(VIEWER)) == 2 and len(fake.messages(TRADER)) == 1)
    assert texts(fake, TRADER) == ["risk 2"]
    assert service.notifier.quiet_skipped == 1


def test_a_recipient_gets_only_its_kinds(make: Any, fake: FakeBotApi) -> None:
    _service, bus = make(recipients=[{"chat_id": TRADER, "kinds": ["risk"]}, {"chat_id": VIEWER}])
    bus.publish("alerts", {"level": "error", "text": "IBKR socket closed", "source": "ibkr"})
    bus.publish("risk.state", StateChange(T0, State.HALTED, State.ACTIVE, "kill switch: flat", "telegram:ops"))
    assert fake.wait_for(lambda: len(fake.messages(VIEWER)) == 2)
    time.sleep(0.2)
    assert [t.splitlines()[0] for t in texts(fake, TRADER)] == ["KILL SWITCH (was ACTIVE)"]
    assert texts(fake, VIEWER)[0].startswith("ERROR (ibkr): IBKR socket closed")


@pytest.mark.parametrize("log_lines", ["DEBUG"], indirect=True)
def test_the_token_is_never_in_a_log_line_or_an_error(make: Any, fake: FakeBotApi, log_lines: io.StringIO) -> None:
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    service, _bus = make(recipients=[{"chat_id": TRADER}])
    fake.fail_next(1, status=502, html=True)
    fake.fail_next(1, drop=True)
    service.notifier.publish(_alert(1))
    assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 3, timeout=8)  # 502, dropped, delivered
    assert fake.wait_for(lambda: service.notifier.outbox.delivered == 1)
    service.stop(drain_seconds=0.2)
    text = log_lines.getvalue()
    loggers = {e.get("logger", "") for e in _events(text)}
    assert {"httpx", "telegram.ext.Updater"} & loggers or any(n.startswith("telegram") for n in loggers)
    assert "telegram.unreachable" in text  # the dropped connection was logged ...
    assert TOKEN.split(":")[1] not in text  # ... and nothing shows the token

    async def refused() -> None:  # a token the server does not know: the error names the variable, not the token
        from theo.adapters.telegram import TelegramClient

        client = TelegramClient(service.client.cfg, "999:WRONG-secret-token")
        try:
            with pytest.raises(InvalidBotToken, match="token_env") as info:
                await client.start()
        finally:
            await client.stop()
        assert "WRONG-secret-token" not in str(info.value)

    asyncio.run(refused())


def test_an_alert_sent_before_a_restart_is_not_sent_again(fake: FakeBotApi, tmp_path: Path,
                                                         sqlite_engine: Engine) -> None:
    cfg = telegram_config(fake, tmp_path, [{"chat_id": TRADER}], commands=False)
    change = StateChange(T0, State.HALTED, State.ACTIVE, "spread too wide", "api:alice")
    for run in range(2):
        service = NotifierService(cfg, sqlite_engine)  # a fresh process's notifier on the same store
        bus = InMemoryBus(raise_errors=True)
        service.notifier.attach(bus)
        service.start()
        bus.publish("risk.state", change)  # the engine (or a redelivering bus) publishes it again
        bus.publish("alerts", {"level": "error", "text": f"run {run}"})
        assert fake.wait_for(lambda n=run: len(fake.messages(TRADER)) == 2 + n)
        service.stop(drain_seconds=0.5)
    assert [t.splitlines()[0] for t in texts(fake, TRADER)] == [
        "Trading HALTED (was ACTIVE)", "ERROR: run 0", "ERROR: run 1"]
