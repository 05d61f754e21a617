"""Bars of one symbol and timeframe held column-wise: the fields every columnar bar record shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OHLCVColumns:
    """One NumPy array per field, oldest bar first; ``start_us``/``end_us`` (UTC µs) bound each bar [start, end)."""

    symbol: str
    timeframe: str
    start_us: I64
    end_us: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __len__(self) -> int:
        return int(self.start_us.shape[0])
