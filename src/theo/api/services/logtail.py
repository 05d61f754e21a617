"""The tail of the JSON log file (``[logging] file``), newest last, with secrets redacted."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from theo.config.loader import SECRET_KEYS, redact

_CHUNK = 64 * 1024
_SECRET_PARTS = (*SECRET_KEYS, "password", "token", "secret", "api_key", "authorization", "cookie")


class LogLine(BaseModel):
    ts: str
    level: str
    event: str
    text: str


def tail_lines(path: Path, count: int, max_bytes: int = 8 * 1024 * 1024) -> list[str]:
    """The last ``count`` lines of ``path`` (read backwards in chunks; at most ``max_bytes``)."""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        end = pos = f.tell()
        data = b""
        while pos > 0 and data.count(b"\n") <= count and end - pos < max_bytes:
            step = min(_CHUNK, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
    lines = data.decode("utf-8", errors="replace").splitlines()
    if pos > 0 and lines:
        lines = lines[1:]  # the first one is cut
    return lines[-count:]


def _masked(key: str, value: Any) -> Any:
    if any(part in key.lower() for part in _SECRET_PARTS):
        return "***"
    if isinstance(value, dict):
        return {k: _masked(str(k), v) for k, v in value.items()}
    return value


def parse(line: str) -> LogLine:
    """A JSON log line as ts, level, event and a readable text (``event key=value ...``), secrets masked."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return LogLine(ts="", level="", event="", text=redact(line))
    ts = str(record.pop("timestamp", ""))
    level = str(record.pop("level", "")).upper()
    event = str(record.pop("event", ""))
    fields = " ".join(f"{k}={json.dumps(_masked(k, v), default=str)}" for k, v in record.items())
    return LogLine(ts=ts, level=level, event=redact(event), text=redact(f"{event} {fields}".strip()))


def read_log(path: Path, lines: int, level: str | None) -> list[LogLine]:
    """The last ``lines`` entries at ``level`` or above (all levels when ``None``)."""
    floor = logging.getLevelName(level.upper()) if level else 0
    floor = floor if isinstance(floor, int) else 0
    wanted: list[LogLine] = []
    budget = lines if not floor else lines * 20  # a filter needs more of the file to find enough entries
    for raw in tail_lines(path, budget):
        entry = parse(raw)
        rank = logging.getLevelName(entry.level) if entry.level else 0
        if not floor or (isinstance(rank, int) and rank >= floor):
            wanted.append(entry)
    return wanted[-lines:]
