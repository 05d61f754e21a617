"""systemd's notify protocol without a dependency: ``READY=1``, ``WATCHDOG=1``, ``STATUS=...``, ``STOPPING=1``.

A unit with ``Type=notify`` is "started" only when the service says ``READY=1`` (after it has connected to
NATS and the database), and with ``WatchdogSec=`` systemd restarts a service that stops saying ``WATCHDOG=1``
within that time: a hung process is restarted like a crashed one. The messages are datagrams on the
AF_UNIX socket named by ``$NOTIFY_SOCKET`` (a leading ``@`` is the abstract namespace); outside systemd
the variable is unset and every call does nothing.
"""

from __future__ import annotations

import os
import socket
import time

from theo.core.logging import get_logger

log = get_logger(__name__)


class Notifier:
    """Talks to systemd when started by it (see the module docstring)."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        #: seconds between watchdog pings: half the unit's WatchdogSec (0: no watchdog asked for)
        self.interval = int(usec) / 2e6 if usec.isdigit() and mine else 0.0
        self._last = 0.0
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` lines in one datagram; False when not under systemd or the socket is gone."""
        if not self.address:
            return False
        addr = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(addr)
                sock.sendall("\n".join(fields).encode())
        except OSError as exc:
            log.warning("systemd.notify_failed", socket=self.address, error=str(exc))
            return False
        self.sent += 1
        return True

    def ready(self, status: str = "") -> None:
        self.send("READY=1", *((f"STATUS={status}",) if status else ()))

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def beat(self) -> None:
        """Tell the watchdog the service's loop is alive (rate-limited to the interval; call it from the loop
        that does the work, so a hung loop stops the pings)."""
        if self.interval <= 0:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.send("WATCHDOG=1")
