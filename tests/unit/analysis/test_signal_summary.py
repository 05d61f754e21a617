"""The signal summary says how many signals each strategy found, executed, and why the others were not."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from theo.analysis.signal_summary import reason_of, signal_lines, summarise_signals
from theo.model.enums import Side, SignalStatus
from theo.model.signals import Signal, SignalOutcome

T0 = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)


def outcome(strategy: str, status: SignalStatus, note: str = "") -> SignalOutcome:
    return SignalOutcome(Signal(strategy, "SPY", Side.BUY, T0, 270.0), status, note)


def test_refused_signals_are_grouped_by_rule_and_silent_strategies_named() -> None:
    outcomes = [
        outcome("corr", SignalStatus.FAILED, "REG_T_MARGIN: no whole lot of SPY fits: quantity 100 capped to 0"),
        outcome("corr", SignalStatus.FAILED, "REG_T_MARGIN: no whole lot of SPY fits: quantity 90 capped to 0"),
        outcome("corr", SignalStatus.CANCELLED, "after the time exit 15:55 ET: no new entry until the next session"),
        outcome("corr", SignalStatus.EXECUTED),
        outcome("don", SignalStatus.CANCELLED, "no matching open position"),
    ]
    summary = summarise_signals(outcomes, ["quiet", "corr"])
    assert [(s.strategy, s.found, s.executed) for s in summary] == [("quiet", 0, 0), ("corr", 4, 1), ("don", 1, 0)]
    assert summary[1].not_executed == Counter({("refused", "REG_T_MARGIN"): 2,
                                               ("ignored", "after the time exit 15:55 ET"): 1})
    assert signal_lines(summary) == [
        "quiet: no signal found (its rules never held on this data)",
        "corr: 4 signals found, 1 executed, 3 not executed",
        "  2 refused: REG_T_MARGIN",
        "  1 ignored: after the time exit 15:55 ET",
        "don: 1 signals found, 0 executed, 1 not executed",
        "  1 ignored: no matching open position",
    ]


def test_reason_of_an_empty_note() -> None:
    assert reason_of("") == "no reason recorded"
