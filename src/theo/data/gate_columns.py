"""Vectorised rules of the quality gate, for replaying whole files at millions of ticks per second."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from theo.core.calendar import MarketCalendar
from theo.core.time import from_us
from theo.data.bars.timeframes import segments_between
from theo.data.rejection import BAD_PRICE, BAD_SIZE, CLOCK_SKEW, DUPLICATE, OUT_OF_ORDER, OUTSIDE_SESSION
from theo.data.zscore import rolling_z


def _inside_sessions(ts_us: npt.NDArray[np.int64], calendar: MarketCalendar) -> npt.NDArray[np.bool_]:
    if len(ts_us) == 0:
        return np.zeros(0, dtype=bool)
    lo, hi = int(ts_us.min()), int(ts_us.max())
    segs = segments_between(calendar, from_us(lo), from_us(hi + 1))
    if not segs:
        return np.zeros(len(ts_us), dtype=bool)
    starts = np.array([s.start_us for s in segs], dtype=np.int64)
    ends = np.array([s.end_us for s in segs], dtype=np.int64)
    idx = np.searchsorted(starts, ts_us, side="right") - 1
    return (idx >= 0) & (ts_us < ends[np.clip(idx, 0, len(ends) - 1)])


def _delivered_twice(keep: npt.NDArray[np.bool_], columns: dict[str, npt.NDArray[np.generic]],
                     trade_id: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """Rows among ``keep`` whose print key and non-empty trade id repeat an earlier row's."""
    import pandas as pd

    out = np.zeros(len(keep), dtype=bool)
    ids = np.asarray(trade_id, dtype=object)
    idx = np.flatnonzero(keep & (ids != ""))
    # Only rows whose id repeats can be duplicates: hash the one id column first, the whole key after.
    idx = idx[pd.Series(ids[idx]).duplicated(keep=False).to_numpy()]
    if len(idx) > 1:
        frame = pd.DataFrame({k: np.asarray(v)[idx] for k, v in columns.items()})
        frame["trade_id"] = ids[idx]
        out[idx[frame.duplicated(keep="first").to_numpy()]] = True
    return out


def check_columns_impl(ts_us: npt.NDArray[np.int64], price: npt.NDArray[np.float64],
                       size: npt.NDArray[np.float64], calendar: MarketCalendar, *, tol_us: int,
                       skew_us: int | None, now_us: int | None, window: int, threshold: float, outside: bool,
                       trade_id: npt.NDArray[np.object_] | None = None,
                       exchange: npt.NDArray[np.object_] | None = None,
                       condition: npt.NDArray[np.object_] | None = None,
                       ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Return ``(keep, reasons, outlier_flags)``; rules in the order of ``QualityGate.check``."""
    ts_us = np.asarray(ts_us, dtype=np.int64)
    price = np.asarray(price, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    n = len(ts_us)
    reasons = np.full(n, "", dtype=object)
    with np.errstate(invalid="ignore"):
        bad_price = ~(np.isfinite(price) & (price > 0))
        bad_size = ~(np.isfinite(size) & (size >= 0))
    reasons[bad_price] = BAD_PRICE
    open_ = ~bad_price
    reasons[open_ & bad_size] = BAD_SIZE
    open_ &= ~bad_size
    if skew_us is not None and now_us is not None:
        skew = open_ & (np.abs(ts_us - now_us) > skew_us)
        reasons[skew] = CLOCK_SKEW
        open_ &= ~skew
    if outside:
        out = open_ & ~_inside_sessions(ts_us, calendar)
        reasons[out] = OUTSIDE_SESSION
        open_ &= ~out
    # Out of order against the newest earlier tick that passed the rules above.
    prior = np.where(open_, ts_us, np.iinfo(np.int64).min // 2)
    newest_before = np.r_[np.iinfo(np.int64).min // 2, np.maximum.accumulate(prior)[:-1]]
    late = open_ & (ts_us < newest_before - tol_us)
    reasons[late] = OUT_OF_ORDER
    keep = open_ & ~late
    if trade_id is not None:
        # One feed's columns: only a print delivered twice (same key and trade id) is a duplicate.
        cols: dict[str, npt.NDArray[np.generic]] = {"ts": ts_us, "price": price, "size": size}
        if exchange is not None:
            cols["exchange"] = exchange
        if condition is not None:
            cols["condition"] = condition
        dup = _delivered_twice(keep, cols, trade_id)
        reasons[dup] = DUPLICATE
        keep &= ~dup
    outliers = np.zeros(n, dtype=bool)
    kept = np.flatnonzero(keep)
    if len(kept) > window + 1:
        r = np.diff(np.log(price[kept]))
        z = rolling_z(r, window)
        with np.errstate(invalid="ignore"):
            outliers[kept[1:][np.abs(z) > threshold]] = True
    return keep, reasons, outliers
