"""SIGKILL of a live run between sending an order and TWS's answer: the restart finds it, never sends it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.tws import FakeTws, running_fake
from tests.integration.ibkr.live import SESSION_MOMENT, live_config
from theo.cli.common import open_store
from theo.model.enums import OrderStatus
from theo.persistence.repositories.orders import SqlOrderJournal

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


#: A live process's start (about 1.7 s of CPU for its imports alone, then connect, warm-up and reconcile) on a
#: loaded 2-core machine: generous, it only costs time when the run never comes up.
STARTUP_SECONDS = 90
#: 10:00:40 ET: a start that takes up to 17 s still prints in the first bar (push_a_trade_before_a_bar_close).
MOMENT = SESSION_MOMENT - timedelta(seconds=15)
#: How long the run waits for late prints before it closes a bar ([marketdata.bars] lateness_seconds).
LATENESS_SECONDS = 1
#: From a bar's close to the bracket at TWS (signal, risk, journal, three placeOrder messages) under load.
BRACKET_SECONDS = 30


def wait(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; run log:\n"
                                 f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def push_a_trade_before_a_bar_close(fake: FakeTws) -> float:
    """Push one AAPL print a few seconds before a 1-minute bar closes; return the seconds until that close.

    The run starts 20 s before a bar close (MOMENT), but a loaded machine can take longer than that to start
    it. A print too near the close could reach the run after the bar closed; one far from it leaves AAPL
    silent for the quality gate's 60 s before the close, and the feed guard's REDUCING refuses the entry. So the
    print goes out 3 to 30 s before a close, waiting for the next bar's 20 s mark when there is no such time."""
    now = fake.now()
    to_close = 60 - now.second - now.microsecond / 1e6
    if not 3 <= to_close <= 30:
        time.sleep((to_close - 20) % 60)
        now = fake.now()
        to_close = 60 - now.second - now.microsecond / 1e6
    fake.push_trade("AAPL", 100.0, 300)
    return to_close


def start(config: Path, offset: float, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.ibkr.live_proc", str(config), str(offset)],
                            cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def test_sigkill_between_intent_and_ack_then_restart_reconciles_without_sending_again(tmp_path: Path) -> None:
    with running_fake() as fake:
        offset = (MOMENT - datetime.now(UTC)).total_seconds()
        fake.advance(offset)
        fake.order_policy(None, "never_ack")  # TWS books the orders; their answers never leave before the kill
        config, cfg = live_config(tmp_path, fake.port)
        # IBKR's tick-by-tick prints carry whole seconds: with lateness 0 the run's clock (advanced every 0.25 s)
        # is past a print's second by the time it arrives, and the print is only recorded (late), not traded
        text = config.read_text().replace('broker = "ibkr"', 'broker = "ibkr"\nlock_ttl_seconds = 1')
        text = text.replace("lateness_seconds = 0", f"lateness_seconds = {LATENESS_SECONDS}")
        assert f"lateness_seconds = {LATENESS_SECONDS}" in text
        config.write_text(text)
        log = tmp_path / "run.log"
        proc = start(config, offset, log)
        try:
            wait(lambda: bool(fake.subscriptions("tbt")), STARTUP_SECONDS, "the first run to subscribe", log)
            to_close = push_a_trade_before_a_bar_close(fake)
            wait(lambda: len(fake.received(3)) >= 3, to_close + LATENESS_SECONDS + BRACKET_SECONDS,
                 "the bracket to reach TWS", log)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        journal = SqlOrderJournal(open_store(cfg), broker="ibkr")
        before = {o.client_order_id: o.status for o in journal.load_orders()}
        assert set(before.values()) == {OrderStatus.SUBMITTED}  # sent, unanswered, when the process died
        time.sleep(1.2)  # the dead run's single-writer lease expires
        fake.order_policy(None, "auto")
        proc = start(config, offset, log)
        try:
            wait(lambda: fake.connect_count >= 2 and bool(fake.subscriptions("tbt")), STARTUP_SECONDS, "the restart",
                 log)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0, log.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
        refs = [f[26] for f in fake.received(3)]
        assert sorted(refs) == sorted(before)  # each order reached TWS exactly once
        after = {o.client_order_id: o.status for o in SqlOrderJournal(open_store(cfg), broker="ibkr").load_orders()}
        assert set(after) == set(before)
        assert set(after.values()) == {OrderStatus.ACCEPTED}  # found at TWS by orderRef and adopted
