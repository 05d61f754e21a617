"""An append-only, checksummed local file that holds writes the database could not take (the collector's spool).

Layout: a sequence of records, each a 16-byte header and a payload::

    magic b"TS" | kind u8 | version u8 | payload length u32 | payload CRC-32 u32 | header CRC-32 u32

all little-endian; the header CRC covers the first 12 header bytes, so a flipped length is caught before it is
believed. Every append is one ``write`` followed by ``fsync``: once :meth:`Spool.append` returns, the record
survives a crash of the process or the machine.

Reading after a crash tells two cases apart:

* a **torn tail**: the last record is incomplete (fewer bytes than its header says, a partial header, or a
  last record whose checksum fails, which is what an interrupted write leaves). The write never returned,
  so nothing acknowledged is lost; :meth:`Spool.open` cuts it off and reports how many bytes it dropped;
* **corruption**: a record that fails its checksum with complete records after it. That is damage to data
  that was acknowledged: :class:`SpoolCorrupt` names the file and the offset and nothing is replayed, so the
  operator can move the file aside (and keep it) rather than lose ticks silently.

Replay progress is kept beside the spool in ``<name>.offset`` (the end of the last record the database
took, written with ``fsync`` and an atomic rename); :meth:`Spool.reset` empties both once everything is in.
"""

from __future__ import annotations

import fcntl
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from theo.core.errors import StorageError

MAGIC = b"TS"
VERSION = 1
HEADER = struct.Struct("<2sBBII")  # magic, kind, version, payload length, payload crc
HEADER_SIZE = HEADER.size + 4  # + the header's own CRC
MAX_PAYLOAD = 1 << 30


class SpoolCorrupt(StorageError):
    """A spool record failed its checksum with more records after it (acknowledged data is damaged).

    Reaction: the collector refuses to start; the message names the file and the offset. Move the file aside
    (keep it for inspection) and start again.
    """


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One record: where it starts and ends in the file, its kind and its payload."""

    offset: int
    end: int
    kind: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The complete records of a file and the bytes of a torn tail after them (0: none)."""

    records: list[SpoolRecord]
    valid_end: int
    torn_bytes: int


def encode_record(kind: int, payload: bytes) -> bytes:
    """The bytes of one record."""
    if not 0 <= kind < 256:
        raise ValueError(f"record kind {kind} must fit in one byte")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"record of {len(payload)} bytes exceeds the spool's {MAX_PAYLOAD}-byte limit")
    head = HEADER.pack(MAGIC, kind, VERSION, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def scan(data: bytes, start: int = 0, *, name: str = "spool") -> ScanResult:
    """Parse ``data`` from byte ``start``: the complete records and the torn tail (see the module docstring)."""
    records: list[SpoolRecord] = []
    pos, n = start, len(data)
    while pos < n:
        if n - pos < HEADER_SIZE:
            break  # a partial header can only be the last write's
        head = data[pos:pos + HEADER.size]
        (head_crc,) = struct.unpack_from("<I", data, pos + HEADER.size)
        if zlib.crc32(head) != head_crc:
            if not data[pos:].strip(b"\0"):
                break  # zeros a crash left where the last write was going
            raise SpoolCorrupt(f"{name}: damaged record header at byte {pos} of {n}; move the file aside "
                               "(keep it) and start again")
        magic, kind, version, length, crc = HEADER.unpack(head)
        if magic != MAGIC or version != VERSION:
            raise SpoolCorrupt(f"{name}: byte {pos} is not a spool record of version {VERSION}; move the file "
                               "aside (keep it) and start again")
        end = pos + HEADER_SIZE + length
        if end > n:
            break  # the last write did not finish
        payload = data[pos + HEADER_SIZE:end]
        if zlib.crc32(payload) != crc:
            if end == n:
                break  # the last record, half written
            raise SpoolCorrupt(f"{name}: record at byte {pos} fails its checksum and {n - end} bytes of records "
                               "follow it; move the file aside (keep it) and start again")
        records.append(SpoolRecord(pos, end, kind, payload))
        pos = end
    return ScanResult(records, pos, n - pos)


class Spool:
    """One spool file, opened for appending by one process at a time (an exclusive ``flock``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset_path = path.with_name(path.name + ".offset")
        self.torn_bytes = 0
        self._fd: int | None = None

    # -- life cycle ----------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Lock the file, cut a torn tail (counted in :attr:`torn_bytes`), check the rest; raise
        :class:`SpoolCorrupt` on damage and :class:`StorageError` when another process holds the spool."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(f"{self.path} is in use by another collector; stop it, or give this one its own "
                               "[app] data_dir") from None
        self._fd = fd
        result = scan(self._read_all(), self.committed(), name=str(self.path))
        if result.torn_bytes:
            os.ftruncate(fd, result.valid_end)
            os.fsync(fd)
            self.torn_bytes = result.torn_bytes

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    # -- writing ---------------------------------------------------------------------------------------------------
    def append(self, kind: int, payload: bytes) -> int:
        """Append one record durably (``fsync``); return the file's new size. A full disk or a failing write
        raises :class:`StorageError`: with the database out too, nothing can keep the data, so the collector stops."""
        fd = self._require()
        data = encode_record(kind, payload)
        try:
            written = os.write(fd, data)
            while written < len(data):  # a regular file takes it all, but never assume
                written += os.write(fd, data[written:])
            os.fsync(fd)
            return os.fstat(fd).st_size
        except OSError as exc:  # not an OSError any more: a feed would take that for a dropped connection
            raise StorageError(f"cannot write the spool {self.path} while the database is out: {exc.strerror}; "
                               "free disk space (or fix the folder's permissions) and start again") from None

    # -- replay --------------------------------------------------------------------------------------------------
    def size(self) -> int:
        return os.fstat(self._require()).st_size

    def committed(self) -> int:
        """The end of the last record the database took (0 when none, or when the spool was emptied since)."""
        try:
            value = int(self.offset_path.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:
            raise SpoolCorrupt(f"{self.offset_path} does not hold a byte offset; move the spool and this file "
                               "aside (keep them) and start again") from None
        size = os.fstat(self._require()).st_size
        return value if 0 <= value <= size else 0  # larger: the spool was emptied after the last commit

    def pending(self) -> bool:
        """Whether records wait to be replayed."""
        return self.size() > self.committed()

    def read_at(self, offset: int) -> SpoolRecord | None:
        """The record starting at ``offset`` (``None`` at the end of the file).

        Only records this process appended, or that :meth:`open` checked, are read here, so a failing
        checksum is damage, never a torn write.
        """
        fd = self._require()
        head = os.pread(fd, HEADER_SIZE, offset)
        if not head:
            return None
        result = scan(head + os.pread(fd, _length(head), offset + HEADER_SIZE), name=str(self.path))
        if not result.records or result.torn_bytes:
            raise SpoolCorrupt(f"{self.path}: the record at byte {offset} cannot be read back; move the file "
                               "aside (keep it) and start again")
        r = result.records[0]
        return SpoolRecord(offset, offset + r.end, r.kind, r.payload)

    def commit(self, end: int) -> None:
        """Record that every record up to byte ``end`` is in the database (atomic, durable)."""
        tmp = self.offset_path.with_name(self.offset_path.name + ".tmp")
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(str(end))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.offset_path)
        _fsync_dir(self.path.parent)

    def reset(self) -> None:
        """Empty the spool once everything is replayed (the file first, so a crash in between replays nothing)."""
        fd = self._require()
        os.ftruncate(fd, 0)
        os.fsync(fd)
        self.offset_path.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)

    def records(self) -> Iterator[SpoolRecord]:
        """Every pending record (for inspection)."""
        yield from scan(self._read_all(), self.committed(), name=str(self.path)).records

    def _read_all(self) -> bytes:
        fd = self._require()
        size = os.fstat(fd).st_size
        return os.pread(fd, size, 0) if size else b""

    def _require(self) -> int:
        if self._fd is None:
            raise StorageError(f"spool {self.path} is not open")
        return self._fd


def _length(head: bytes) -> int:
    """The payload length a header claims (0 when the header is too short to say)."""
    return int(HEADER.unpack(head[:HEADER.size])[3]) if len(head) >= HEADER.size else 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
