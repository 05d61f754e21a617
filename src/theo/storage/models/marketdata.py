"""Market-data tables: roll events, archive manifest, feed events."""

from __future__ import annotations
