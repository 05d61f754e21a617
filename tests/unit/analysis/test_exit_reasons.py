"""The deals report names how each engine trade closed, whatever execution path closed it."""

from __future__ import annotations

import pytest

from theo.analysis.outputs import _exit_reason
from theo.model.trades import ExitReason


@pytest.mark.parametrize(("purpose", "reason"), [
    ("stop-loss", ExitReason.STOP_LOSS), ("take-profit", ExitReason.PROFIT_TARGET),
    ("trailing-stop", ExitReason.TRAILING_STOP), ("exit-rule", ExitReason.EXIT_RULE),
    ("time-exit", ExitReason.TIME_EXIT), ("risk-reduction", ExitReason.RISK_REDUCTION),
    ("kill-switch", ExitReason.KILL_SWITCH), ("manual", ExitReason.MANUAL), ("something-else", ExitReason.EXIT_RULE)])
def test_exit_reason_of_each_purpose(purpose: str, reason: ExitReason) -> None:
    assert _exit_reason(purpose) is reason
