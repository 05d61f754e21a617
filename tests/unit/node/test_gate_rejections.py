"""The engine's gate keeps every rejected tick in the log with its reason (never a silent drop)."""

from __future__ import annotations

from datetime import UTC, datetime

from structlog.testing import capture_logs

from theo.config import load_config
from theo.model.market import Tick
from theo.node.gate import EngineGate


def test_a_rejected_tick_is_counted_and_logged_with_its_reason() -> None:
    at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 ET, regular session
    gate = EngineGate(load_config(None, env={}), at)
    good = Tick("SPY", at, 600.25, 100.0, source="synthetic")
    bad = Tick("SPY", at, -1.0, 100.0, source="synthetic")
    with capture_logs() as logs:
        assert gate.check(good) == good
        assert gate.check(bad) is None
    assert gate.rejected == {"SPY": 1}
    rejected = [e for e in logs if e["event"] == "tick.rejected"]
    assert len(rejected) == 1
    assert rejected[0]["symbol"] == "SPY"
    assert rejected[0]["price"] == -1.0
    assert rejected[0]["reason"] == gate.gate.rejections.most_common(1)[0][0]
    assert rejected[0]["reason"]
