"""The NATS server on 127.0.0.1:4222 (``.ci/run`` starts one): a unique subject prefix per test, its stream
deleted afterwards. Without a server the tests skip (fail with CI=true)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

NATS_URL = os.environ.get("THEO_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_reachable() -> bool:
    host, port = NATS_URL.split("//", 1)[1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture
def nats_prefix() -> Iterator[str]:
    """A subject prefix (and stream) of this test alone."""
    if not nats_reachable():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no NATS server at {NATS_URL} and CI=true (.ci/run starts `nats-server -js`)")
        pytest.skip(f"no NATS server at {NATS_URL}: install it (Debian: apt-get install nats-server) and run "
                    f"`nats-server -js`")
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield prefix
    from theo.core.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix).start()
    try:
        bus._call(bus._js.delete_stream(bus.stream), 5.0)
    finally:
        bus.close()
