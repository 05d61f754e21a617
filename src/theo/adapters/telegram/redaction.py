"""Keep the bot token out of every log line.

PTB builds request URLs as ``<base_url><token>/<method>`` and httpx logs each request's URL at INFO; some PTB
errors quote the token. While a bot runs, :class:`TokenRedaction` wraps the logging record factory so any
record (message, arguments, exception text) that would show the token shows ``<token>`` instead, whatever
handler or format the process uses.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

from theo.adapters.telegram.errors import redact

_lock = threading.Lock()
_tokens: dict[str, int] = {}  # token -> number of active redactions (several bots in one test process)
_previous: Any = None
_httpx_level: int | None = None  # the httpx logger's own level before the first install, put back by the last remove


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record: logging.LogRecord = _previous(*args, **kwargs)
    tokens = tuple(_tokens)
    if not tokens:
        return record
    try:
        text = record.getMessage()
    except Exception:  # a malformed record: let logging report it as usual
        return record
    clean = text
    for token in tokens:
        clean = redact(clean, token)
    if clean != text:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        formatted = "".join(traceback.format_exception(*record.exc_info))
        cleaned = formatted
        for token in tokens:
            cleaned = redact(cleaned, token)
        if cleaned != formatted:
            record.exc_info, record.exc_text = None, cleaned.rstrip("\n")
    return record


class TokenRedaction:
    """Active between :meth:`install` and :meth:`remove` (nestable, thread-safe)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.active = False

    def install(self) -> None:
        global _previous, _httpx_level
        with _lock:
            if self.active:
                return
            httpx = logging.getLogger("httpx")
            if not _tokens:
                _previous = logging.getLogRecordFactory()
                logging.setLogRecordFactory(_factory)
                _httpx_level = httpx.level
            _tokens[self.token] = _tokens.get(self.token, 0) + 1
            self.active = True
            # httpx logs every request line (with the token in the URL) at INFO: keep only its warnings while a
            # bot runs; the level is the process's, so the last remove puts the old one back.
            httpx.setLevel(max(logging.WARNING, httpx.level))

    def remove(self) -> None:
        global _previous, _httpx_level
        with _lock:
            if not self.active:
                return
            self.active = False
            n = _tokens.get(self.token, 0) - 1
            if n > 0:
                _tokens[self.token] = n
            else:
                _tokens.pop(self.token, None)
            if not _tokens and _previous is not None:
                logging.setLogRecordFactory(_previous)
                _previous = None
            if not _tokens and _httpx_level is not None:
                logging.getLogger("httpx").setLevel(_httpx_level)
                _httpx_level = None
