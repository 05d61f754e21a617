"""Raw bars as every reader should use them: impossible bars left out (with reasons), prices adjusted.

Indicators, correlation, the quality gates and backtests read bars through :func:`prepare_bars`, so they
all see the same series and can say how it was made (:attr:`PreparedBars.describe`). Stored prices are never
changed; the adjustment is recomputed on every read from the ``corporate_actions`` table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import structlog

from theo.data.adjust import AdjustmentPlan, boundary_us, plan
from theo.data.bar_check import BarCheck, check_bars
from theo.data.config import BarLimits
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.reference import CorporateAction

log = structlog.get_logger(__name__)
T = TypeVar("T")
PRICE_FIELDS = ("open", "high", "low", "close")


@dataclass
class PreparedBars:
    """What was done to one series on its way from the store or a file to its reader."""

    symbol: str
    mode: Adjustment
    plan: AdjustmentPlan
    check: BarCheck
    file_factors: bool = False  # splits came from the file's own split_factor column
    notes: list[str] = field(default_factory=list)
    joined: tuple[CorporateAction, ...] = ()  # symbol changes whose older ticker's bars start the series, newest first

    def describe(self) -> str:
        """The adjustment in one line, for output headers, logs and reports."""
        text = self.plan.describe()
        if self.file_factors:
            text = f"adjusted for {self.mode.value}: splits from the file's split_factor column" + (
                f"; {'; '.join(s.describe() for s in self.plan.steps)}" if self.plan.steps else "")
        if self.joined:
            text += "; joined " + ", ".join(f"{a.symbol} before {a.ex_date}" for a in self.joined)
        return f"{self.symbol}: {text}"


def prepare_bars(bars: T, actions: Sequence[CorporateAction], mode: Adjustment, limits: BarLimits, *,
                 bar_us: int, file_factor: npt.NDArray[np.float64] | None = None) -> tuple[T, PreparedBars]:
    """``bars`` (a dataclass of columns such as ``BarSeries`` or ``BarArrays``) without impossible bars and on
    the adjusted basis of ``mode``.

    ``file_factor`` is a bar file's own ``split_factor`` column: with it the file's splits are used as given
    (vendors compute them from the same actions) and only cash dividends come from ``actions``.
    """
    b: Any = bars
    check = check_bars(b.symbol, b.timeframe, bar_us, b.start_us, b.open, b.high, b.low, b.close, limits)
    keep = ~check.bad
    if check.count:
        log.warning("bars.impossible", symbol=b.symbol, timeframe=b.timeframe, count=check.count,
                    by_reason=check.by_reason, first=check.reasons[0])
        b = _take(b, keep)
    joined = _joined(b.symbol, b.start_us, actions, mode)
    use_file = file_factor is not None and mode.splits
    if use_file:
        actions = [a for a in actions if a.kind is CorporateActionKind.CASH_DIVIDEND]
    p = plan(actions, mode, b.start_us, b.close)
    factors = p.factors(b.start_us)
    if use_file:
        assert file_factor is not None
        factors = factors * file_factor[keep]
    if mode is not Adjustment.NONE and len(b):
        b = dataclasses.replace(b, **{k: getattr(b, k) * factors for k in PRICE_FIELDS},
                                volume=b.volume / factors)
    prepared = PreparedBars(b.symbol, mode, p, check, use_file, joined=joined)
    if check.count:
        prepared.notes.append(f"{b.symbol}: {check.count} impossible bar(s) left out "
                              f"({', '.join(f'{k} {v}' for k, v in check.by_reason.items())}; first: "
                              f"{check.reasons[0]})")
    prepared.notes += [f"{b.symbol}: {s}" for s in p.skipped]
    if p.steps or use_file:
        log.info("bars.adjusted", symbol=b.symbol, mode=mode.value, steps=len(p.steps), file_factors=use_file)
    return b, prepared


def _joined(symbol: str, start_us: npt.NDArray[np.int64], actions: Sequence[CorporateAction],
            mode: Adjustment) -> tuple[CorporateAction, ...]:
    """The symbol changes into this series (see :mod:`theo.data.corporate_actions_join`) whose older ticker
    has bars in it, newest first."""
    if mode is Adjustment.NONE or len(start_us) == 0:
        return ()
    first = int(start_us[0])
    return tuple(sorted((a for a in actions if a.kind is CorporateActionKind.SYMBOL_CHANGE and a.symbol != symbol
                         and first < boundary_us(a.ex_date)), key=lambda a: a.ex_date, reverse=True))


def _take(bars: Any, keep: npt.NDArray[np.bool_]) -> Any:
    """``bars`` with only the rows in ``keep`` (every column array of the bar count is cut)."""
    n = len(keep)
    cut = {f.name: getattr(bars, f.name)[keep] for f in dataclasses.fields(bars)
           if isinstance(getattr(bars, f.name), np.ndarray) and getattr(bars, f.name).shape[:1] == (n,)}
    return dataclasses.replace(bars, **cut)
