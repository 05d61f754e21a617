"""A loopback Polygon / Massive server for the real ``massive`` client (protocol-fakes.md §2).

:class:`~tests.fakes.polygon.server.FakePolygon` serves the stocks WebSocket (greeting, auth, subscribe acks,
event arrays, every way a session can end) on the test's event loop and the REST aggregates and trades
(pagination, 429, errors) on a thread, both on 127.0.0.1 with a free port.
"""
