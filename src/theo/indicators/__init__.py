"""Market-structure indicators: streaming (one O(1) update per closed bar) and batch (NumPy) forms."""

from theo.indicators.atr import ATR
from theo.indicators.base import BarArrays, Indicator
from theo.indicators.donchian import Donchian, DonchianValue
from theo.indicators.fractals import Fractals, FractalValue
from theo.indicators.pivots import Pivots, PivotValue
from theo.indicators.registry import IndicatorSet, column_names, parse_spec
from theo.indicators.swings import SwingEvent, Swings, SwingValue

__all__ = [
    "ATR",
    "BarArrays",
    "Donchian",
    "DonchianValue",
    "FractalValue",
    "Fractals",
    "Indicator",
    "IndicatorSet",
    "PivotValue",
    "Pivots",
    "SwingEvent",
    "SwingValue",
    "Swings",
    "column_names",
    "parse_spec",
]
