"""The notifier service on NATS: alerts the trader publishes reach Telegram (the fake Bot API, real client),
and an alert published while the notifier is down is delivered when it is back (durable consumers)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TOKEN, TRADER, telegram_config, texts
from tests.integration.services.conftest import NATS_URL
from theo.core.bus.nats import NatsBus
from theo.node.services import alerting
from theo.node.services.runtime import ServiceRuntime

pytestmark = pytest.mark.nats


def _start(cfg: Any, store: Any, prefix: str) -> tuple[ServiceRuntime, threading.Thread]:
    rt = ServiceRuntime("notifier", cfg, store, NatsBus(NATS_URL, prefix=prefix).start())
    thread = threading.Thread(target=alerting.run, args=(rt,), daemon=True)
    thread.start()
    return rt, thread


def _stop(rt: ServiceRuntime, thread: threading.Thread) -> None:
    rt.stop.set()
    thread.join(20)
    rt.bus.close()


def _until(predicate: Any, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_alerts_reach_telegram_and_wait_in_the_stream_while_the_notifier_is_down(
        tmp_path: Path, nats_prefix: str, sqlite_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("THEO_TELEGRAM_TOKEN", TOKEN)
    fake = FakeBotApi((TOKEN,))
    fake.start()
    trader = NatsBus(NATS_URL, prefix=nats_prefix).start()
    try:
        cfg = telegram_config(fake, tmp_path)
        rt, thread = _start(cfg, sqlite_engine, nats_prefix)
        assert _until(lambda: any("notifier service" in t for t in texts(fake, TRADER)))
        trader.publish("alerts", {"level": "critical", "text": "reconciliation with IBKR failed"})
        trader.flush(10)
        assert _until(lambda: any("reconciliation with IBKR failed" in t for t in texts(fake, TRADER)))
        _stop(rt, thread)
        trader.publish("alerts", {"level": "critical", "text": "kill switch pulled while you were away"})
        trader.flush(10)
        rt, thread = _start(cfg, sqlite_engine, nats_prefix)
        assert _until(lambda: any("while you were away" in t for t in texts(fake, TRADER)))
        _stop(rt, thread)
        sent = texts(fake, TRADER)
        assert sum("reconciliation with IBKR failed" in t for t in sent) == 1  # once, not again after the restart
        assert sum("while you were away" in t for t in sent) == 1
    finally:
        trader.close()
        fake.stop()
