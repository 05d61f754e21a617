"""Swing highs and lows (SH/SL): the one definition used by strategies, storage, notifications and charts.

A swing high is a bar whose high is strictly above the highs of the ``left`` bars before it and not below
the highs of the ``right`` bars after it (a swing low mirrors this with lows); the current SH/SL is the
latest such point, known from the close of the ``right``-th bar after it. This is the fractal rule with
its own, usually larger, strength: ``swing:5:5`` means 5 bars each side. ``high_changed``/``low_changed``
are true on the one bar where a new swing point got confirmed, so a notifier fires once per change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theo.indicators.fractals import PointIndicator, PointTracker


@dataclass(frozen=True, slots=True)
class SwingValue:
    """Current SH/SL with the start of the bar each one sits on (``None`` until one exists)."""

    high: float | None
    high_ts: datetime | None
    low: float | None
    low_ts: datetime | None
    high_changed: bool = False
    low_changed: bool = False


@dataclass(frozen=True, slots=True)
class SwingEvent(SwingValue):
    """A :class:`SwingValue` published on ``indicators.swing.<SYM>`` when SH or SL changed.

    ``ts`` is the start of the confirming bar, ``indicator`` the swing indicator's name (``swing_5_5``).
    """

    symbol: str = ""
    timeframe: str = ""
    indicator: str = ""
    ts: datetime | None = None

    @property
    def key(self) -> str:
        """Idempotency key of the change, e.g. ``SPY/15m/swing_5_5/high@2019-02-15T15:30:00+00:00``.

        A subscriber on an at-least-once transport (NATS JetStream redelivery) drops an event whose key it
        has already handled; the key names the swing point(s), not the confirming bar.
        """
        parts = [f"high@{self.high_ts.isoformat()}" if self.high_changed and self.high_ts else "",
                 f"low@{self.low_ts.isoformat()}" if self.low_changed and self.low_ts else ""]
        return f"{self.symbol}/{self.timeframe}/{self.indicator}/" + "+".join(p for p in parts if p)


class Swings(PointIndicator[SwingValue]):
    """SH/SL with ``left``/``right`` confirmation bars (default 2/2)."""

    prefix = "swing"

    @property
    def changed(self) -> bool:
        """True when SH or SL changed on the last bar."""
        return self._t.new_high or self._t.new_low

    def _make_value(self, t: PointTracker) -> SwingValue:
        return SwingValue(t.high, t.high_ts, t.low, t.low_ts, t.new_high, t.new_low)
