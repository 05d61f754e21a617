"""SIGKILL of a live run between sending an order and TWS's answer: the restart finds it, never sends it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.tws import running_fake
from tests.integration.ibkr.live import SESSION_MOMENT, live_config
from theo.cli.common import open_store
from theo.model.enums import OrderStatus
from theo.persistence.repositories.orders import SqlOrderJournal

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def start(config: Path, offset: float, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.ibkr.live_proc", str(config), str(offset)],
                            cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def test_sigkill_between_intent_and_ack_then_restart_reconciles_without_sending_again(tmp_path: Path) -> None:
    with running_fake() as fake:
        offset = (SESSION_MOMENT - datetime.now(UTC)).total_seconds()
        fake.advance(offset)
        fake.order_policy(None, "never_ack")  # TWS books the orders; their answers never leave before the kill
        config, cfg = live_config(tmp_path, fake.port)
        text = config.read_text().replace('broker = "ibkr"', 'broker = "ibkr"\nlock_ttl_seconds = 1')
        config.write_text(text)
        log = tmp_path / "run.log"
        proc = start(config, offset, log)
        try:
            wait(lambda: bool(fake.subscriptions("tbt")), 30, "the first run to subscribe")
            fake.push_trade("AAPL", 100.0, 300)
            wait(lambda: len(fake.received(3)) >= 3, 30, "the bracket to reach TWS")
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
            wait(lambda: fake.connect_count >= 2 and bool(fake.subscriptions("tbt")), 30, "the restart")
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
