"""Order, order-event, fill and broker-id tables."""

from __future__ import annotations
