"""Bars: session-aligned timeframes, the streaming aggregator, batch (NumPy) and SQL aggregation."""

from theo.data.bars.timeframes import Segment, Timeframe, parse_timeframe

__all__ = ["Segment", "Timeframe", "parse_timeframe"]
