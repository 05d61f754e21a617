"""Indicator values per symbol, timeframe and bar."""

from __future__ import annotations
