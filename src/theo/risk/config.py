"""Configuration of the risk component."""

from __future__ import annotations

from theo.config.base import Section


class RiskConfig(Section):
    """Pre-trade risk, compliance and the trade manager."""
