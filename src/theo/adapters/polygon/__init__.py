"""Polygon.io (now Massive) market data through the official ``massive`` client: the fail-over feed.

:mod:`.data` is the WebSocket feed (:class:`~theo.adapters.polygon.data.PolygonFeed`), :mod:`.history` the REST
aggregates used for backfill and ``theo data download --source polygon``, :mod:`.parsing` the pure mapping of
Polygon's payloads, exchange ids and sale conditions to Theo's ticks, quotes and bars.
"""
