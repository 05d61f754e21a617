"""Configuration of the cold archive."""

from __future__ import annotations

from theo.config.base import Section


class ArchiveConfig(Section):
    """Where and when old ticks are archived."""
