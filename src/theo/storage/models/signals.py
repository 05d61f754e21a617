"""Signal and indicator tables."""

from __future__ import annotations
