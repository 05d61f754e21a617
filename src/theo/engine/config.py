"""Configuration of the engine component."""

from __future__ import annotations

from theo.config.base import Section


class EngineConfig(Section):
    """The engine: mode, feed and broker selection."""
