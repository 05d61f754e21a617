"""Bars as the store keeps them, column-wise: what a backtest or an indicator run reads from the database."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from theo.model.columns import OHLCVColumns
from theo.model.enums import SessionKind


@dataclass(frozen=True)
class StoredBarColumns(OHLCVColumns):
    """Stored bars of one symbol and timeframe, oldest first; ``session`` holds each bar's ``SessionKind`` value."""

    session: npt.NDArray[np.str_]

    @property
    def regular(self) -> npt.NDArray[np.bool_]:
        """Bars of the regular session."""
        return np.asarray(self.session == SessionKind.REGULAR.value, dtype=np.bool_)
