"""The start-up log gives the recovery's counts as fields, not a dataclass printed as text."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tests.unit.trading.rig import make_trading_rig
from theo.config.app import LoggingConfig
from theo.core.logging import configure_logging


def test_recovery_logs_its_counts_as_structured_fields(tmp_path: Path) -> None:
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=out)
    try:
        make_trading_rig(tmp_path).manager.recover()
    finally:
        configure_logging()
    lines = [json.loads(line) for line in out.getvalue().splitlines() if "recovered" in line]
    assert [(x["event"], x["fills"], x["trades"], x["rebuilt"]) for x in lines] == [
        ("trade_manager.recovered", 0, 0, [])]
    assert "RecoveryReport" not in out.getvalue()
