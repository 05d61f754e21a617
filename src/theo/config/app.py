"""Application, database and logging sections."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from theo.config.base import Section

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class AppConfig(Section):
    """Where Theo keeps its files and which mode it runs in."""

    name: str = "theo"
    data_dir: Path = Field(default=Path("var"), description="SQLite file, logs, archive, broker state")
    mode: Literal["backtest", "paper", "live"] = "paper"


class DatabaseConfig(Section):
    """The store. Empty ``url`` means SQLite at ``<data_dir>/theo.db``.

    The password never lives in a file: set ``THEO__DATABASE__PASSWORD`` in the environment; it is
    inserted into the URL at connect time and masked everywhere else.
    """

    url: str = ""
    password: SecretStr | None = None
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)
    #: auto: TimescaleDB when the server has it preloaded (a warning if installed but not preloaded);
    #: require: stop with a clear message when it cannot be used; off: plain tables even where it exists.
    timescale: Literal["auto", "require", "off"] = "auto"
    timescale_compress_after_days: int = Field(default=7, ge=1)
    #: Opt-in: TimescaleDB counts retention from now, so a default would drop imported historical ticks.
    timescale_retention_days: int | None = Field(default=None, ge=1, description="drop ticks older than this")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"unsupported database URL {value!r}; use sqlite:///PATH or postgresql://...")
        if value and "@" in value.split("//", 1)[-1].split("/", 1)[0]:
            userinfo = value.split("//", 1)[-1].split("@", 1)[0]
            if ":" in userinfo:
                raise ValueError("the URL holds a password; put it in THEO__DATABASE__PASSWORD instead")
        return value


class LoggingConfig(Section):
    """structlog output: readable on a terminal, JSON lines otherwise; rotated files under data_dir."""

    level: LogLevel = "INFO"
    format: Literal["auto", "json", "console"] = "auto"
    file: Path | None = Field(default=None, description="log file; relative paths are under data_dir")
    max_bytes: int = Field(default=10_000_000, ge=10_000)
    backup_count: int = Field(default=5, ge=0)
    #: Ship to the systemd journal through its native socket (PRIORITY and SYSLOG_IDENTIFIER fields).
    journald: bool = False
    journald_socket: Path = Path("/run/systemd/journal/socket")
    #: Ship to syslog: a Unix socket path ("/dev/log") or "host:port" (UDP); empty: off.
    syslog_address: str = ""
    syslog_facility: str = "user"
    #: The journal's SYSLOG_IDENTIFIER and the syslog tag.
    identifier: str = Field(default="theo", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
