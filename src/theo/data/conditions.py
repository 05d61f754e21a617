"""Which trade prints count for a bar's OHLC and which for its volume.

The rule is explicit and configurable (``[marketdata.conditions]``): prints whose sale condition is in
``ohlc_conditions`` set open/high/low/close; every non-suspicious print adds to volume. Odd lots, late
reports and out-of-sequence prints move volume but not the price bars, as the consolidated tape does.
When a bar has no print with a counting condition at all, its OHLC come from all of its prints and it is
flagged ``no_regular_prints`` (so a bar is never invented from nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from theo.data.config import ConditionsConfig

NO_REGULAR_PRINTS = "no_regular_prints"
NO_TICKS = "no_ticks"


class ConditionFilter:
    """Decide per print whether it sets OHLC; vectorised form for replay."""

    __slots__ = ("exclude_suspicious", "ohlc_conditions")

    def __init__(self, ohlc_conditions: Iterable[str] = ("", "1", "20000001"), *,
                 exclude_suspicious: bool = True) -> None:
        self.ohlc_conditions = frozenset(ohlc_conditions)
        self.exclude_suspicious = exclude_suspicious

    @classmethod
    def from_config(cls, config: ConditionsConfig) -> ConditionFilter:
        return cls(config.ohlc_conditions, exclude_suspicious=config.exclude_suspicious)

    def counts_for_ohlc(self, condition: str) -> bool:
        return condition in self.ohlc_conditions

    def ohlc_mask(self, conditions: npt.NDArray[np.str_] | npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        """True where the print's condition counts for OHLC."""
        return np.isin(np.asarray(conditions).astype(str), np.array(sorted(self.ohlc_conditions), dtype=str))

    def keep_mask(self, suspicious: npt.NDArray[np.bool_] | None, n: int) -> npt.NDArray[np.bool_]:
        """True where the print is aggregated at all (volume); suspicious prints go to quarantine."""
        if suspicious is None or not self.exclude_suspicious:
            return np.ones(n, dtype=bool)
        return ~np.asarray(suspicious, dtype=bool)

    def sql_values(self) -> list[str]:
        return sorted(self.ohlc_conditions)
