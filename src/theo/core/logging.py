"""structlog set-up: readable lines on a terminal, JSON lines otherwise, optional rotated file, journald, syslog.

No secret reaches any destination: values under secret-looking keys are masked by key (:func:`_mask_secrets`),
and every rendered line, whatever logged it (our events, a library's stdlib records, an exception's traceback),
goes through :func:`theo.config.loader.redact` last (:class:`_Redacting`): URL passwords, Telegram bot tokens,
and the values of secret environment variables (``THEO__DATABASE__PASSWORD``, ``*_TOKEN``, ``*_API_KEY`` ...).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any

import structlog

from theo.config.app import LoggingConfig
from theo.config.loader import redact, remember_environment_secrets
from theo.core.errors import StoreConnectionLost

_SECRET_WORDS = ("password", "token", "secret", "api_key")


def _is_secret(key: str) -> bool:
    return any(w in key.lower() for w in _SECRET_WORDS)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if isinstance(k, str) and _is_secret(k) else _masked(v) for k, v in value.items()}
    return value


def _operational_errors(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """A lost database connection is an operational event with its own remedy in its message (the command stops
    with it, a restart resumes): log that message as ``error``, not a library traceback a user cannot act on."""
    exc = event.get("exc_info")
    if exc is True:
        exc = sys.exc_info()
    if isinstance(exc, tuple):
        exc = exc[1]
    if isinstance(exc, StoreConnectionLost):
        event.pop("exc_info")
        event["error"] = str(exc)
    return event


def _mask_secrets(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Never log a secret, whatever a caller passes: mask values by key name, nested dicts included."""
    for key in list(event):
        event[key] = "***" if _is_secret(key) else _masked(event[key])
    return event


class _Redacting(structlog.stdlib.ProcessorFormatter):
    """The last word before a line is written: redact the whole rendered line (module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _formatter(shared: list[Any], renderer: Any) -> logging.Formatter:
    """``renderer`` behind the shared chain; a JSON line carries an exception as its traceback text (``exception``),
    not as the repr of the exc_info tuple (the console renderer prints tracebacks itself)."""
    exceptions = [structlog.processors.format_exc_info] if isinstance(renderer, structlog.processors.JSONRenderer) \
        else []
    return _Redacting(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],  # stdlib `extra=` become fields
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *exceptions, renderer],
    )


def _shipping(config: LoggingConfig) -> list[logging.Handler]:
    """journald and syslog handlers as ``[logging]`` asks (:mod:`theo.core.log_sinks`)."""
    from theo.core.log_sinks import JournaldHandler, syslog_handler

    handlers: list[logging.Handler] = []
    if config.journald:
        handlers.append(JournaldHandler(config.journald_socket, config.identifier))
    if config.syslog_address:
        handlers.append(syslog_handler(config.syslog_address, config.syslog_facility, config.identifier))
    return handlers


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at emit time (test runners and CLIs swap it per command)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


#: Libraries whose INFO chatter (alembic's "Context impl SQLiteImpl" on every store open) is noise to a user.
_QUIET_LIBRARIES = ("alembic",)


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name`` (use module ``__name__``)."""
    return structlog.get_logger(name)


def configure_logging(config: LoggingConfig | None = None, *, data_dir: Path | None = None,
                      stream: Any = None, console_level: str | None = None) -> None:
    """Configure structlog and the stdlib root logger (idempotent: a second call replaces the first).

    ``stream`` defaults to the current ``sys.stderr`` so that command output on stdout stays clean.
    ``console_level`` raises the level of that stream only (the log file keeps ``config.level``): a one-shot
    command's report is not interleaved with its progress events.
    """
    config = config or LoggingConfig()
    remember_environment_secrets(os.environ)
    console_handler: logging.Handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    if console_level is not None:
        console_handler.setLevel(max(logging.getLevelName(console_level), logging.getLevelName(config.level)))
    stream = stream if stream is not None else sys.stderr
    use_json = config.format == "json" or (config.format == "auto" and not stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _operational_errors,
        _mask_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    formatter = _formatter(shared, renderer)
    json_lines = _formatter(shared, structlog.processors.JSONRenderer())
    shipping = _shipping(config)  # may refuse the config: before the current handlers are taken down
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_theo", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [console_handler]
    if config.file is not None:
        path = config.file if config.file.is_absolute() else (data_dir or Path(".")) / config.file
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=config.max_bytes, backupCount=config.backup_count, encoding="utf-8"
        )
        file_handler.setFormatter(json_lines)
        handlers.append(file_handler)
    for shipped in shipping:
        shipped.setFormatter(json_lines)
        handlers.append(shipped)
    for handler in handlers:
        handler._theo = True  # type: ignore[attr-defined]
        if handler.formatter is None:
            handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(config.level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if config.level == "DEBUG" else logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
