"""The node's record of signals: every signal of a run with what the engine did with it, in handling order.

Orders and fills are the order journal's record and trades the trade manager's; this is the third record a
run keeps. A backtest that finds a signal it provably ignores (an entry while the strategy holds a trade)
records it without building it: :meth:`SignalLog.add_lazy` keeps the row and its note, and :meth:`outcomes`
builds the signal only when someone reads the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from theo.model.enums import SignalStatus
from theo.model.signals import Signal, SignalOutcome

Listener = Callable[[SignalOutcome], None]


@dataclass
class SignalLog:
    """Signal outcomes in the order they were handled (``listener`` sees each new one at once)."""

    listener: Listener | None = None
    _rows: list[SignalOutcome | tuple[Callable[[int], Signal], int, str]] = field(default_factory=list)
    counts: dict[SignalStatus, int] = field(default_factory=dict)

    def add(self, outcome: SignalOutcome) -> None:
        self._rows.append(outcome)
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if self.listener is not None:
            self.listener(outcome)

    def add_lazy(self, make: Callable[[int], Signal], row: int, note: str) -> None:
        """A signal ignored without being built (status CANCELLED): ``make(row)`` builds it on demand."""
        self._rows.append((make, row, note))
        self.counts[SignalStatus.CANCELLED] = self.counts.get(SignalStatus.CANCELLED, 0) + 1

    def __len__(self) -> int:
        return len(self._rows)

    def outcomes(self) -> list[SignalOutcome]:
        """Every outcome, the ignored ones built now."""
        out = []
        for r in self._rows:
            if isinstance(r, SignalOutcome):
                out.append(r)
            else:
                make, row, note = r
                out.append(SignalOutcome(make(row), SignalStatus.CANCELLED, note))
        return out

    def last(self, n: int) -> list[SignalOutcome]:
        """The ``n`` latest outcomes (for a status display)."""
        return [r if isinstance(r, SignalOutcome) else SignalOutcome(r[0](r[1]), SignalStatus.CANCELLED, r[2])
                for r in self._rows[-n:]]
