"""Typed configuration: one TOML file plus ``THEO__SECTION__KEY`` environment overrides."""

from theo.config.base import Section
from theo.config.loader import load_config, masked_dump
from theo.config.schema import TheoConfig

__all__ = ["Section", "TheoConfig", "load_config", "masked_dump"]
