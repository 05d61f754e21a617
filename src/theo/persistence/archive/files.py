"""Write-once Parquet files of ticks, and the digests that prove what they hold.

A file is written to a temporary name, flushed to disk, renamed into place (atomic on POSIX) and made
read-only; the directory is flushed too, so after a crash a file either exists complete or not at all.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from theo.core.errors import StorageError

#: One tick in canonical form: symbol, ts (UTC µs), seq, price, size, exchange, condition, source, received µs.
TickTuple = tuple[str, int, int, float, float, str, str, str, int | None]

TICK_SCHEMA = pa.schema([
    ("symbol", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("seq", pa.int64()),
    ("price", pa.float64()), ("size", pa.float64()), ("exchange", pa.string()), ("condition", pa.string()),
    ("source", pa.string()), ("received", pa.timestamp("us", tz="UTC")),
])
TMP_SUFFIX = ".tmp"


def content_digest(rows: Iterable[TickTuple]) -> str:
    """SHA-256 of rows in canonical form; the same for database rows and for rows read from a file."""
    h = hashlib.sha256()
    for sym, ts, seq, price, size, exch, cond, src, received in rows:
        # Length-prefixed strings and hex floats: no separator or rounding can make two rows collide.
        h.update(f"{len(sym)}:{sym}|{ts}|{seq}|{price.hex()}|{size.hex()}|{len(exch)}:{exch}|{len(cond)}:{cond}|"
                 f"{len(src)}:{src}|{'' if received is None else received}\n".encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _table(rows: Sequence[TickTuple]) -> pa.Table:
    cols: list[Sequence[object]] = list(zip(*rows, strict=True)) if rows else [[] for _ in TICK_SCHEMA]
    arrays = []
    for field, values in zip(TICK_SCHEMA, cols, strict=True):
        if pa.types.is_timestamp(field.type):
            arrays.append(pa.array(values, pa.int64()).cast(field.type))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=TICK_SCHEMA)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_once(path: Path, rows: Sequence[TickTuple], compression: str = "zstd") -> str:
    """Write ``rows`` to ``path`` (which must not exist) and make it read-only; return the file's SHA-256."""
    if path.exists():
        raise StorageError(f"archive file {path} already exists; archive files are written once")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    table = _table(rows)
    with tmp.open("wb") as f:
        pq.write_table(table, f, compression=None if compression == "none" else compression)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0444: write-once
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return file_sha256(path)


def read_rows(path: Path) -> list[TickTuple]:
    """Every row of an archive file in canonical form."""
    try:
        table = pq.read_table(path, schema=TICK_SCHEMA)
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"archive file {path} cannot be read as Parquet ({exc}); "
                           "run `theo archive verify`") from None
    cols = [table.column(f.name).cast(pa.int64()) if pa.types.is_timestamp(f.type) else table.column(f.name)
            for f in TICK_SCHEMA]
    return list(zip(*(c.to_pylist() for c in cols), strict=True))


def row_count(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_rows)


def is_read_only(path: Path) -> bool:
    return not (path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
