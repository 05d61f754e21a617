"""Configuration of the scanner component."""

from __future__ import annotations

from theo.config.base import Section


class ScannerConfig(Section):
    """The signal scanner."""
