"""Trade, risk-decision and trading-state tables."""

from __future__ import annotations
