"""Futures roll events and the cold-archive manifest."""

from __future__ import annotations
