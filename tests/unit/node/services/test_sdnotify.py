"""systemd's notify protocol over a real AF_UNIX datagram socket: READY, STATUS, the rate-limited watchdog."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from theo.node.services.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2.0)
    yield path, sock
    sock.close()


def test_ready_status_and_stopping_reach_the_socket(listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    assert n.enabled
    n.ready("trading")
    assert sock.recv(4096) == b"READY=1\nSTATUS=trading"
    n.status("rebuilding")
    assert sock.recv(4096) == b"STATUS=rebuilding"
    n.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    assert n.sent == 3


def test_the_watchdog_is_pinged_at_half_its_period(listener: tuple[str, socket.socket],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path, sock = listener
    clock = [1000.0]
    monkeypatch.setattr("theo.node.services.sdnotify.time.monotonic", lambda: clock[0])
    n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert n.interval == 15.0
    n.beat()
    assert sock.recv(4096) == b"WATCHDOG=1"
    clock[0] += 14.9
    n.beat()  # too soon: nothing sent
    clock[0] += 0.2
    n.beat()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert n.sent == 2


def test_a_watchdog_meant_for_another_process_or_no_systemd_is_silent(tmp_path: Path) -> None:
    other = Notifier({"NOTIFY_SOCKET": str(tmp_path / "x"), "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"})
    assert other.interval == 0.0
    none = Notifier({})
    assert not none.enabled
    none.ready()
    none.beat()
    assert none.sent == 0
    gone = Notifier({"NOTIFY_SOCKET": str(tmp_path / "missing")})
    assert gone.send("READY=1") is False  # logged, never raised: systemd went away


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or os.uname().sysname != "Linux", reason="abstract sockets")
def test_an_abstract_socket_name_is_used_as_such() -> None:
    name = f"theo-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2.0)
    try:
        Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(4096) == b"READY=1"
    finally:
        sock.close()
