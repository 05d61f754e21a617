"""Log destinations beside stderr and the rotated file: the systemd journal and syslog.

Both receive the same redacted JSON line as the log file (``[logging]`` in docs/operations.md).

* :class:`JournaldHandler` speaks journald's native protocol (``man 7 systemd.journal-fields``, "Native
  Journal Protocol"): one datagram per entry to ``/run/systemd/journal/socket`` holding ``FIELD=value`` lines,
  a value with a newline as ``FIELD\\n`` + 64-bit little-endian length + bytes. An entry too large for a
  datagram goes as a sealed memfd passed with ``SCM_RIGHTS``, as sd_journal_send does. No dependency: a socket.
  The journal then has ``PRIORITY`` (so ``journalctl -p warning`` works) and ``SYSLOG_IDENTIFIER``.
* :func:`syslog_handler`: the stdlib :class:`~logging.handlers.SysLogHandler` on a Unix socket (``/dev/log``)
  or UDP ``host:port``, tagged ``theo[pid]:``.

A log call must never stall trading: the journal socket is non-blocking, and an entry the journal cannot take
right now (its buffer full, the journal restarting) is counted in ``dropped`` and reported once on stderr,
never retried in the caller's thread.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import logging.handlers
import os
import socket
import struct
import sys
from pathlib import Path

from theo.core.errors import ConfigError

#: syslog priorities (``PRIORITY=`` in the journal) of the stdlib levels.
PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
_SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL


def priority(levelno: int) -> int:
    """The syslog priority of a stdlib level (levels between the named ones round down to the next named one)."""
    for level in sorted(PRIORITIES, reverse=True):
        if levelno >= level:
            return PRIORITIES[level]
    return 7


def encode_fields(fields: dict[str, str]) -> bytes:
    """Entries of the native journal protocol; field names are upper-case letters, digits and underscores."""
    out = bytearray()
    for name, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += name.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournaldHandler(logging.Handler):
    """Ship every record to the systemd journal (module docstring); ``MESSAGE`` is the formatted line."""

    def __init__(self, path: Path | str = "/run/systemd/journal/socket", identifier: str = "theo") -> None:
        super().__init__()
        self.path = str(path)
        if not Path(self.path).exists():
            raise ConfigError(f"[logging] journald = true, but {self.path} does not exist: this host does not run "
                              "systemd-journald (or its socket is elsewhere: set [logging] journald_socket); "
                              "set journald = false to log to stderr and the file only")
        self.identifier = identifier
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.dropped = 0

    def fields(self, record: logging.LogRecord) -> dict[str, str]:
        return {"MESSAGE": self.format(record), "PRIORITY": str(priority(record.levelno)),
                "SYSLOG_IDENTIFIER": self.identifier, "SYSLOG_PID": str(os.getpid()),
                "THEO_LOGGER": record.name, "CODE_FILE": record.pathname, "CODE_LINE": str(record.lineno),
                "CODE_FUNC": record.funcName}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = encode_fields(self.fields(record))
        except Exception:
            self.handleError(record)
            return
        try:
            self.sock.sendto(data, self.path)
        except OSError as exc:
            if exc.errno in (errno.EMSGSIZE, errno.ENOBUFS):
                self._send_memfd(data)
            else:
                self._drop(exc)

    def _send_memfd(self, data: bytes) -> None:
        """An entry larger than a datagram: write it to a sealed memfd and pass the descriptor."""
        fd = os.memfd_create("theo-journal", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.write(fd, data)
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
            # sendmsg, not socket.send_fds: Python 3.11's send_fds ignores its address argument
            self.sock.sendmsg([b""], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))], 0, self.path)
        except OSError as exc:
            self._drop(exc)
        finally:
            os.close(fd)

    def _drop(self, exc: OSError) -> None:
        self.dropped += 1
        if self.dropped == 1:
            sys.stderr.write(f"theo: the systemd journal at {self.path} refused a log entry ({exc.strerror}); "
                             "entries are dropped from the journal while it does (stderr and the file keep them)\n")

    def close(self) -> None:
        self.sock.close()
        super().close()


def syslog_address(value: str) -> str | tuple[str, int]:
    """``/dev/log`` (a Unix socket path) or ``host:port`` (UDP), as ``[logging] syslog_address`` gives it."""
    if value.startswith("/"):
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"[logging] syslog_address = {value!r}: give a Unix socket path such as /dev/log or "
                          "host:port (UDP), e.g. 127.0.0.1:514")
    return host.strip("[]"), int(port)


def syslog_handler(address: str, facility: str, identifier: str) -> logging.Handler:
    """A :class:`~logging.handlers.SysLogHandler` tagged ``identifier[pid]:``; a clear error if it cannot open."""
    where = syslog_address(address)
    code = logging.handlers.SysLogHandler.facility_names.get(facility)
    if code is None:
        raise ConfigError(f"[logging] syslog_facility = {facility!r}: use one of user, daemon, local0 … local7")
    try:
        handler = logging.handlers.SysLogHandler(address=where, facility=code)
    except OSError as exc:
        raise ConfigError(f"[logging] syslog_address = {address!r}: cannot open it ({exc.strerror}); check that "
                          "the syslog daemon listens there, or leave syslog_address empty") from None
    handler.ident = f"{identifier}[{os.getpid()}]: "
    return handler
