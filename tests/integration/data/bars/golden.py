"""Compare our 1-minute bars with the provider's own 1-minute files (regular session)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from theo.core.calendar import ET
from theo.core.time import to_us
from theo.data.bars.batch import BarArrays
from theo.data.files import read_market_file
from theo.model.enums import SessionKind

FIRST_TICK_DAY = datetime(2013, 10, 7, tzinfo=ET)


def match_rate(ours: BarArrays, provider_file: Path, symbol: str) -> tuple[float, float, int]:
    """Share of the provider's regular-session minutes whose OHLC (and OHLC+volume) we reproduce exactly,
    over the days our ticks cover (the minute file also has 2013-10-04, the tick files start 2013-10-07)."""
    ref = read_market_file(provider_file, symbol).bars
    assert ref is not None
    regular = (ref.sessions() == str(SessionKind.REGULAR)) & (ref.start_us >= to_us(FIRST_TICK_DAY))
    mine = {int(s): i for i, s in enumerate(ours.start_us.tolist())}
    n = ohlc = both = 0
    for j in regular.nonzero()[0].tolist():
        n += 1
        i = mine.get(int(ref.start_us[j]))
        if i is None:
            continue
        same = all(abs(float(getattr(ours, k)[i]) - float(getattr(ref, k)[j])) < 1e-9
                   for k in ("open", "high", "low", "close"))
        ohlc += same
        both += same and float(ours.volume[i]) == float(ref.volume[j])
    return ohlc / n, both / n, n
