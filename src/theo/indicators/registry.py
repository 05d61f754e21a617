"""Indicator specs (``atr:14,donchian:20,fractal:2,swing:2:2,pivot:classic``) and the per-series set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.errors import ConfigError, DataError
from theo.indicators.atr import ATR
from theo.indicators.base import Indicator
from theo.indicators.batch import PIVOT_METHODS
from theo.indicators.donchian import Donchian
from theo.indicators.fractals import Fractals
from theo.indicators.journal import SwingJournal
from theo.indicators.pivots import Pivots
from theo.indicators.swings import SwingEvent, Swings
from theo.model.market import Bar

SPEC_HELP = ("atr[:N], donchian[:N], fractal[:L[:R]], swing[:L[:R]], "
             f"pivot[:{'|'.join(PIVOT_METHODS)}]")


def _ints(item: str, args: list[str], count: int) -> list[int]:
    if len(args) > count:
        raise ConfigError(f"indicator {item!r}: too many parameters; expected {SPEC_HELP}")
    out = []
    for a in args:
        try:
            v = int(a)
        except ValueError:
            raise ConfigError(f"indicator {item!r}: {a!r} is not a whole number; expected {SPEC_HELP}") from None
        if v < 1:
            raise ConfigError(f"indicator {item!r}: {v} must be at least 1")
        out.append(v)
    return out


def parse_one(item: str, calendar: MarketCalendar | None = None) -> Indicator[Any]:
    """Build one indicator from ``kind[:params]``."""
    kind, *args = item.strip().split(":")
    kind = kind.strip().lower()
    if kind == "atr":
        return ATR(*_ints(item, args, 1))
    if kind == "donchian":
        return Donchian(*_ints(item, args, 1))
    if kind in ("fractal", "fractals", "swing", "swings"):
        nums = _ints(item, args, 2)
        left = nums[0] if nums else 2
        right = nums[1] if len(nums) > 1 else left
        return Fractals(left, right) if kind.startswith("fractal") else Swings(left, right)
    if kind in ("pivot", "pivots"):
        if len(args) > 1:
            raise ConfigError(f"indicator {item!r}: too many parameters; expected {SPEC_HELP}")
        method = args[0].strip().lower() if args else "classic"
        if method not in PIVOT_METHODS:
            raise ConfigError(f"indicator {item!r}: unknown pivot method {method!r}; use one of "
                              f"{', '.join(PIVOT_METHODS)}")
        return Pivots(method, calendar)
    raise ConfigError(f"unknown indicator {kind!r} in {item!r}; expected {SPEC_HELP}")


def parse_spec(spec: str, calendar: MarketCalendar | None = None) -> list[Indicator[Any]]:
    """Parse a comma-separated spec; errors name the offending item. Duplicates are refused."""
    items = [s for s in (p.strip() for p in spec.split(",")) if s]
    if not items:
        raise ConfigError(f"empty indicator list {spec!r}; expected a comma-separated list of {SPEC_HELP}")
    out: list[Indicator[Any]] = []
    for item in items:
        ind = parse_one(item, calendar)
        if any(o.name == ind.name for o in out):
            raise ConfigError(f"indicator {item!r} is listed twice (as {ind.name})")
        out.append(ind)
    return out


def column_names(indicators: Sequence[Indicator[Any]]) -> list[str]:
    """Flat column names: the indicator name alone for one output, else ``<name>_<output>``."""
    return [flat_name(i, o) for i in indicators for o in i.outputs]


def flat_name(ind: Indicator[Any], output: str) -> str:
    return ind.name if ind.outputs == ("value",) else f"{ind.name}_{output}"


class IndicatorSet:
    """All indicators of one symbol and timeframe, updated together bar by bar.

    When a swing indicator's SH or SL changes, a :class:`SwingEvent` is published on
    ``indicators.swing.<SYM>`` once per change, never twice: the change must first be claimed in the
    ``journal`` (see ``theo.indicators.journal``). The default journal lives in memory, so a
    :meth:`reset` and replay publishes nothing again; pass a ``StoredSwingJournal`` to carry that across
    restarts. The event's ``high_changed``/``low_changed`` say which side is new.
    """

    def __init__(self, symbol: str, timeframe: str, indicators: Sequence[Indicator[Any]],
                 bus: MessageBus | None = None, journal: SwingJournal | None = None) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.indicators = list(indicators)
        self.bus = bus
        self.journal = journal if journal is not None else SwingJournal()
        self.last_bar: Bar | None = None

    def update(self, bar: Bar) -> None:
        """Update every indicator with ``bar`` and publish swing changes."""
        if bar.symbol != self.symbol or bar.timeframe != self.timeframe:
            raise DataError(f"indicator set {self.symbol} {self.timeframe} got a bar of {bar.symbol} "
                            f"{bar.timeframe} at {bar.start.isoformat()}; route bars by symbol and timeframe")
        for ind in self.indicators:
            ind.update(bar)
        self.last_bar = bar
        if self.bus is None:
            return
        for ind in self.indicators:
            if isinstance(ind, Swings) and ind.changed:
                self._announce(ind, bar)

    def _announce(self, ind: Swings, bar: Bar) -> None:
        v = ind.value
        assert v is not None
        assert self.bus is not None
        high = v.high_changed and v.high is not None and v.high_ts is not None and self.journal.claim(
            self.symbol, self.timeframe, ind.name, "high", v.high_ts, v.high, bar.start)
        low = v.low_changed and v.low is not None and v.low_ts is not None and self.journal.claim(
            self.symbol, self.timeframe, ind.name, "low", v.low_ts, v.low, bar.start)
        if high or low:
            self.bus.publish(f"indicators.swing.{self.symbol}", SwingEvent(
                v.high, v.high_ts, v.low, v.low_ts, high, low,
                symbol=self.symbol, timeframe=self.timeframe, indicator=ind.name, ts=bar.start))

    def reset(self) -> None:
        for ind in self.indicators:
            ind.reset()
        self.last_bar = None

    def rescale(self, factor: float) -> None:
        """Put every price the indicators hold on a split's new basis (see :meth:`Indicator.rescale`)."""
        for ind in self.indicators:
            ind.rescale(factor)

    def get(self, name: str) -> Indicator[Any]:
        for ind in self.indicators:
            if ind.name == name:
                return ind
        raise KeyError(f"no indicator {name!r} in {[i.name for i in self.indicators]}")

    def values(self) -> dict[str, float | None]:
        """Current outputs flattened: ``{"atr_14": ..., "donchian_20_upper": ...}``."""
        out: dict[str, float | None] = {}
        for ind in self.indicators:
            for k, v in ind.values().items():
                out[flat_name(ind, k)] = v
        return out

    def records(self) -> list[tuple[str, str, float | None]]:
        """Current outputs as ``(indicator name, output, value)`` rows for storage."""
        return [(ind.name, k, v) for ind in self.indicators for k, v in ind.values().items()]
