"""Engine run tables."""

from __future__ import annotations
