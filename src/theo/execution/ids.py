"""Deterministic, unique client order ids; they go into the broker's order reference (IBKR ``orderRef``).

* ``<strategy|man>-<YYYYMMDD>-<seq>`` for orders without a signal, ``seq`` continuing the journal's count;
* ``<strategy|man>-s<signal_id>-<leg>`` for an order born from a signal, so the same signal can never
  produce a second order for the same leg, even after a crash;
* ``<parent>-<leg>`` for the exits of a bracket.
"""

from __future__ import annotations

import re
from datetime import datetime

from theo.core.calendar import ET
from theo.execution.journal import OrderJournal

MAX_LEN = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def _clean(name: str) -> str:
    return _UNSAFE.sub("_", name)[:24] or "man"


def for_signal(strategy: str, signal_id: int, leg: str) -> str:
    """The id of leg ``leg`` (``entry``, ``sl``, ``tp``, ``0`` ...) of the order for ``signal_id``."""
    return f"{_clean(strategy)}-s{signal_id}-{_clean(leg)}"[:MAX_LEN]


def child(parent_id: str, leg: str) -> str:
    return f"{parent_id}-{_clean(leg)}"[:MAX_LEN]


class ClientOrderIds:
    """Sequence ids per strategy and trade date (ET); the counter is the journal itself."""

    def __init__(self, journal: OrderJournal) -> None:
        self._journal = journal
        self._last: dict[str, int] = {}

    def new(self, strategy: str, ts: datetime) -> str:
        prefix = f"{_clean(strategy)}-{ts.astimezone(ET):%Y%m%d}-"
        last = self._last.get(prefix)
        if last is None:
            last = 0
            for cid in self._journal.ids_with_prefix(prefix):
                if not cid.startswith(prefix):  # LIKE is case-blind and treats "_" as a wildcard
                    continue
                tail = cid[len(prefix):]
                if tail.isdigit():
                    last = max(last, int(tail))
        self._last[prefix] = last + 1
        return f"{prefix}{last + 1:04d}"
