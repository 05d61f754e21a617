"""Framing and field encoding of the TWS API socket protocol (text protocol, server versions 157..178).

Every message after the handshake prefix is ``uint32 big-endian length`` + payload, the payload being
NUL-terminated text fields.  The handshake itself starts with ``b"API\\0"`` followed by one length-prefixed
version string (``v157..178[ options]``) that is *not* NUL-terminated.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1
UNSET_DOUBLE_TEXT = "1.7976931348623157E308"

_LEN = struct.Struct(">I")


@dataclass(frozen=True)
class Frame:
    """One decoded frame as seen on the wire by the fake."""

    direction: str  # "in" (client -> fake) or "out" (fake -> client)
    ts: float  # time.monotonic() when the frame was read or written
    client_id: int | None  # the API client id of the connection (None before startApi)
    fields: list[str]

    @property
    def msg_id(self) -> int:
        """The message id (first field) as an int, -1 when it is not numeric."""
        try:
            return int(self.fields[0])
        except (IndexError, ValueError):
            return -1


def fmt(value: Any) -> str:
    """Format one outgoing field ("" for None, 1/0 for bools, "Infinite" for inf, repr for floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "Infinite" if math.isinf(value) else repr(value)
    return str(value)


def fmt_qty(value: float) -> str:
    """Format a size/quantity as TWS does for Decimal values ("100", "0.5")."""
    if value == int(value):
        return str(int(value))
    return repr(value)


def fmt_price(value: float | None) -> str:
    """Format a price; ``None`` or the unset double become ""."""
    if value is None or value >= UNSET_DOUBLE:
        return ""
    return repr(round(float(value), 8))


def encode_frame(fields: Iterable[Any]) -> bytes:
    """Encode fields into one length-prefixed frame."""
    payload = "".join(fmt(f) + "\0" for f in fields).encode()
    return _LEN.pack(len(payload)) + payload


def to_int(text: str, default: int = 0) -> int:
    """Parse an integer field tolerating "", unset markers and float text."""
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        try:
            value = int(float(text))
        except ValueError:
            return default
    return default if value == UNSET_INTEGER else value


def to_float(text: str, default: float | None = None) -> float | None:
    """Parse a double field; "" and the unset double give ``default``, "Infinite" gives inf."""
    if not text:
        return default
    if text == "Infinite":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        return default
    return default if value >= UNSET_DOUBLE else value


def to_bool(text: str) -> bool:
    """Parse a 1/0 (or true/false) field."""
    return text.strip().lower() in {"1", "true"}


class HandshakeError(ValueError):
    """The connecting peer did not speak the API handshake."""


class FrameReader:
    """Incremental decoder of the inbound byte stream: handshake first, then frames."""

    def __init__(self) -> None:
        self._buf = b""
        self.handshake_done = False

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        self._buf += data

    def handshake(self) -> tuple[int, int, str] | None:
        """Return (min_version, max_version, options) once the whole handshake has arrived."""
        if len(self._buf) < 8:
            return None
        if not self._buf.startswith(b"API\0"):
            raise HandshakeError(f"bad prefix {self._buf[:4]!r}")
        (size,) = _LEN.unpack(self._buf[4:8])
        if len(self._buf) < 8 + size:
            return None
        text = self._buf[8 : 8 + size].decode(errors="backslashreplace").rstrip("\0")
        self._buf = self._buf[8 + size :]
        self.handshake_done = True
        versions, _, options = text.partition(" ")
        try:
            low, high = versions.lstrip("v").split("..")
            return int(low), int(high), options
        except ValueError as exc:
            raise HandshakeError(f"bad version text {text!r}") from exc

    def frames(self) -> list[list[str]]:
        """Pop every complete frame that has arrived so far."""
        out: list[list[str]] = []
        while len(self._buf) >= 4:
            (size,) = _LEN.unpack(self._buf[:4])
            if len(self._buf) < 4 + size:
                break
            payload = self._buf[4 : 4 + size].decode(errors="backslashreplace")
            self._buf = self._buf[4 + size :]
            fields = payload.split("\0")
            if fields and fields[-1] == "":
                fields.pop()
            out.append(fields)
        return out
