"""What every operator command gets: the process's context (config, store, events, the run it drives) and who
is asking (an :class:`Actor` with a :class:`Role` and where the request came from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from theo.api.services.errors import Forbidden
from theo.config import TheoConfig
from theo.persistence.repositories import Repositories, Store


class Role(StrEnum):
    """viewer reads; trader also halts, resumes, flattens and edits strategy and risk settings; admin also
    manages users and live mode."""

    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return (Role.VIEWER, Role.TRADER, Role.ADMIN).index(self)


@dataclass(frozen=True)
class Actor:
    """Who asks: a user name, their role, and where from (``web 127.0.0.1``, ``telegram 1234``, ``cli``)."""

    name: str
    role: Role
    origin: str = ""

    def allows(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    def require(self, role: Role, action: str) -> None:
        """Raise :class:`Forbidden` unless this actor has at least ``role``."""
        if not self.allows(role):
            raise Forbidden(f"{action} needs the {role.value} role; {self.name} is a {self.role.value}")


class EventSink(Protocol):
    """Where live events go (the WebSocket stream): thread-safe, never blocks the caller."""

    def publish(self, kind: str, data: dict[str, Any]) -> None: ...


class RunView(Protocol):
    """The engine run this process drives (``theo run`` with the API embedded): read-only snapshots."""

    def counters(self) -> dict[str, Any]: ...


@dataclass
class ServiceContext:
    """The process-wide handles the commands work on."""

    config: TheoConfig
    store: Store
    events: EventSink
    config_path: Path | None = None  # the TOML file settings are saved to (None: built-in defaults, read-only)
    run: RunView | None = None  # None when the API runs without an engine (``theo api``)
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def repos(self) -> Repositories:
        """The repositories of ``store`` (built once per context)."""
        return Repositories(self.store)
