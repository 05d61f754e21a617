"""Batch resampling and the streaming roller build the same bars."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.node.helpers import walk
from theo.core.errors import ConfigError
from theo.model.series import from_us, to_us
from theo.node.resample import Roller, bucket_bounds, bucket_of, resample, timeframe_us


@pytest.mark.parametrize("tf", ["5m", "15m", "1h", "1d"])
def test_roller_equals_batch_resample(tf: str) -> None:
    series = walk(3000, 4)
    batch = resample(series, tf)
    roller = Roller("AAA", tf)
    out = []
    for i in range(len(series)):
        bar = roller.add(int(series.start_us[i]), float(series.open[i]), float(series.high[i]),
                         float(series.low[i]), float(series.close[i]), float(series.volume[i]))
        if bar is not None:
            out.append(bar)
    last = roller.flush()
    assert last is not None
    out.append(last)
    assert len(out) == len(batch)
    for k, bar in enumerate(out):
        assert (to_us(bar.start), to_us(bar.end)) == (batch.start_us[k], batch.end_us[k])
        assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
            batch.open[k], batch.high[k], batch.low[k], batch.close[k], batch.volume[k])


def test_daily_buckets_follow_new_york_dates_across_dst() -> None:
    # 2019-11-03 is the autumn DST change: that New York day lasts 25 hours
    ts = np.array([1_572_757_200_000_000 + k * 3_600_000_000 for k in range(0, 48, 3)], dtype=np.int64)
    lo, hi = bucket_bounds(ts, "1d")
    for t, a, b in zip(ts.tolist(), lo.tolist(), hi.tolist(), strict=True):
        assert bucket_of(t, "1d") == (a, b)
    assert {(b - a) // 3_600_000_000 for a, b in zip(lo.tolist(), hi.tolist(), strict=True)} == {24, 25}
    assert from_us(int(lo[0])).isoformat() == "2019-11-03T04:00:00+00:00"


def test_finer_target_than_the_data_is_refused() -> None:
    with pytest.raises(ConfigError, match="cannot be built from 5m"):
        resample(resample(walk(30, 1), "5m"), "1m")
    with pytest.raises(ConfigError, match="not valid"):
        timeframe_us("5x")
