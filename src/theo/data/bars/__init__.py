"""Bars: session-aligned timeframes, the live collector, the engine roll-up, batch (NumPy) and SQL aggregation."""

from theo.data.bars.timeframes import Segment, Timeframe, check_rollup, parse_timeframe

__all__ = ["Segment", "Timeframe", "check_rollup", "parse_timeframe"]
