"""Feed tables: feed events (stale/resumed)."""

from __future__ import annotations
