"""What became of a run's signals, per strategy: found, executed, and ignored or refused by reason.

A backtest that ends with no trades then says why: its strategies found no signal, or their signals were
ignored (a position already open, after the time exit, ...) or refused by a rule (``REG_T_MARGIN``,
``EXPOSURE_LIMIT``, ...). Reasons are the note up to its first ``": "``, so numbers in the detail do not split
one reason into many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from theo.model.enums import SignalStatus
from theo.model.signals import SignalOutcome

OUTCOME_WORDS = {SignalStatus.CANCELLED: "ignored", SignalStatus.FAILED: "refused"}


@dataclass
class StrategySignals:
    """The signals of one strategy: how many were found and executed, and the others by (outcome, reason)."""

    strategy: str
    found: int = 0
    executed: int = 0
    not_executed: Counter[tuple[str, str]] = field(default_factory=Counter)


def reason_of(note: str) -> str:
    """The reason part of an outcome note: the rule (``REG_T_MARGIN``) or the plain-words cause."""
    head = note.split(": ", 1)[0].strip()
    return head or "no reason recorded"


def summarise_signals(outcomes: Iterable[SignalOutcome], strategies: Sequence[str] = ()) -> list[StrategySignals]:
    """One entry per strategy, in the order of ``strategies`` (those with no signal included), then the rest."""
    by_name = {name: StrategySignals(name) for name in strategies}
    for o in outcomes:
        entry = by_name.setdefault(o.signal.strategy, StrategySignals(o.signal.strategy))
        entry.found += 1
        if o.status is SignalStatus.EXECUTED:
            entry.executed += 1
        else:
            word = OUTCOME_WORDS.get(o.status, o.status.value.lower())
            entry.not_executed[(word, reason_of(o.note))] += 1
    return list(by_name.values())


def signal_lines(summary: Sequence[StrategySignals]) -> list[str]:
    """Plain lines for a terminal: per strategy its counts, then each reason with its count (most first)."""
    lines = []
    for s in summary:
        if not s.found:
            lines.append(f"{s.strategy}: no signal found (its rules never held on this data)")
            continue
        lines.append(f"{s.strategy}: {s.found:,} signals found, {s.executed:,} executed, "
                     f"{s.found - s.executed:,} not executed")
        for (word, reason), n in sorted(s.not_executed.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:,} {word}: {reason}")
    return lines
