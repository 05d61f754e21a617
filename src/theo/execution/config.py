"""Configuration of the execution component."""

from __future__ import annotations

from theo.config.base import Section


class ExecutionConfig(Section):
    """Orders and the simulated broker."""
