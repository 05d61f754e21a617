"""Typed configuration: one TOML file plus ``THEO__SECTION__KEY`` environment overrides.

The root schema imports every component's config section, and some of those import the calendar, which
needs :mod:`theo.config.market`; the public names are therefore loaded lazily to keep imports acyclic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from theo.config.base import Section

if TYPE_CHECKING:
    from theo.config.loader import load_config, masked_dump
    from theo.config.schema import TheoConfig

__all__ = ["Section", "TheoConfig", "load_config", "masked_dump"]


def __getattr__(name: str) -> Any:
    if name in ("load_config", "masked_dump"):
        from theo.config import loader

        return getattr(loader, name)
    if name == "TheoConfig":
        from theo.config.schema import TheoConfig

        return TheoConfig
    raise AttributeError(f"module 'theo.config' has no attribute {name!r}")
