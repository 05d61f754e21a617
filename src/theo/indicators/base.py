"""The streaming indicator interface and the bar arrays its batch form reads.

Every indicator exists twice: a streaming object updated once per closed bar in O(1) amortised time (the
engine's form) and a batch NumPy function over whole arrays (research, reports, ``theo indicators``). Both
give the same value at every bar; the tests prove it on real and generated series.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from theo.core.errors import DataError
from theo.core.time import from_us, to_us
from theo.model.enums import SessionKind
from theo.model.market import Bar

V = TypeVar("V")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BarArrays:
    """Columns of a bar series, oldest first: the input of every batch indicator.

    ``start_us`` holds UTC microseconds of each bar's start; ``regular`` flags regular-session bars.
    """

    symbol: str
    timeframe: str
    start_us: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    regular: BoolArray

    def __len__(self) -> int:
        return int(self.start_us.shape[0])

    @classmethod
    def from_bars(cls, bars: Sequence[Bar], symbol: str = "", timeframe: str = "") -> BarArrays:
        """Build the columns from ``Bar`` objects (in the order given)."""
        first = bars[0] if bars else None
        return cls(
            symbol=symbol or (first.symbol if first else ""),
            timeframe=timeframe or (first.timeframe if first else ""),
            start_us=np.array([to_us(b.start) for b in bars], dtype=np.int64),
            open=np.array([b.open for b in bars], dtype=np.float64),
            high=np.array([b.high for b in bars], dtype=np.float64),
            low=np.array([b.low for b in bars], dtype=np.float64),
            close=np.array([b.close for b in bars], dtype=np.float64),
            volume=np.array([b.volume for b in bars], dtype=np.float64),
            regular=np.array([b.session is SessionKind.REGULAR for b in bars], dtype=np.bool_),
        )

    def start(self, i: int) -> datetime:
        return from_us(int(self.start_us[i]))


class Indicator(ABC, Generic[V]):
    """A streaming indicator: call :meth:`update` once per CLOSED bar, oldest first.

    ``value`` is the typed value after the last update (``None`` until ``ready``); ``values()`` flattens it
    into the named ``outputs`` for storage and export. A bar whose start is not after the previous one is
    refused with :class:`DataError` (a repeated or out-of-order bar would corrupt the state silently).
    """

    name: str
    outputs: tuple[str, ...] = ("value",)

    def __init__(self) -> None:
        self._last_start: datetime | None = None

    def update(self, bar: Bar) -> None:
        """Feed the next closed bar."""
        if self._last_start is not None and bar.start <= self._last_start:
            raise DataError(
                f"{self.name}: bar {bar.symbol} {bar.timeframe} starting {bar.start.isoformat()} is not after "
                f"the previous bar ({self._last_start.isoformat()}); feed each closed bar once, oldest first"
            )
        self._last_start = bar.start
        self._update(bar)

    def reset(self) -> None:
        """Forget every bar seen."""
        self._last_start = None
        self._reset()

    def rescale(self, factor: float) -> None:
        """Put every price held on a new basis: multiply by ``factor`` (a split's price factor, 0.5 for 2-for-1).

        A running session calls it on a split's ex-date so its windows hold what a start on adjusted history
        would hold. Volumes are not held by any indicator here. Each indicator implements :meth:`_rescale`.
        """
        self._rescale(factor)

    def _rescale(self, factor: float) -> None:
        raise TypeError(f"{self.name}: this indicator cannot put the prices it holds on a split's new basis; "
                        "implement _rescale, or restart the run after the split")

    @abstractmethod
    def _update(self, bar: Bar) -> None: ...

    @abstractmethod
    def _reset(self) -> None: ...

    @property
    @abstractmethod
    def value(self) -> V | None:
        """The current value, ``None`` until ready."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """True once the indicator has seen enough bars to have a value."""

    @abstractmethod
    def values(self) -> dict[str, float | None]:
        """The current outputs by name (see ``outputs``), ``None`` where not known yet."""

    @abstractmethod
    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        """The same outputs over a whole series (NaN where the streaming form has ``None``)."""


class RecordIndicator(Indicator[V]):
    """An indicator whose value is a record (dataclass) kept in ``_value``, one field per name in ``outputs``."""

    _value: V | None

    @property
    def value(self) -> V | None:
        return self._value

    @property
    def ready(self) -> bool:
        return self._value is not None

    def values(self) -> dict[str, float | None]:
        v = self._value
        if v is None:
            return dict.fromkeys(self.outputs)
        return {name: getattr(v, name) for name in self.outputs}
