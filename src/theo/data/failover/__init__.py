"""Fail-over between feeds: configuration, the per-symbol route and seam, backfill, published events.

The supervisor itself is :class:`theo.data.supervisor.FeedSupervisor`.
"""
