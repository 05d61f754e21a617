"""Repositories: the only place SQL lives. One module per concern, each a class built on a store's engine.

The pattern, for every module that reads or writes the store:

1. **The protocol sits next to its user.** The domain module declares a small ``typing.Protocol`` with the
   three or four methods it needs, in its own words and with its own types (``risk/state.py`` declares
   ``StateStore``; ``execution/lock.py`` declares ``LeaseStore``). It never imports ``sqlalchemy`` or
   ``theo.persistence``, not even for a type hint; a test in ``tests/unit/project`` checks this.
2. **The implementation lives here.** A class in this package implements the protocol on an SQLAlchemy
   :class:`~sqlalchemy.Engine` (``TradingStateRepository(engine)`` satisfies ``StateStore``). Rows, sessions,
   dialect differences and transactions stay in it; it returns the domain's types, never ORM rows.
3. **The composition root wires them.** A CLI command, the kernel or a factory opens the store, builds the
   repositories (``Repositories(store)`` builds each one on first use) and passes them in.

Tests of domain logic may pass any object with the protocol's methods; tests of a repository run it on real
SQLite and PostgreSQL.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy import Engine

if TYPE_CHECKING:
    from theo.persistence.repositories.audit import AuditRepository
    from theo.persistence.repositories.corporate_actions import CorporateActionRepository
    from theo.persistence.repositories.decisions import DecisionRepository
    from theo.persistence.repositories.futures import RollEventRepository
    from theo.persistence.repositories.indicators import IndicatorValueRepository
    from theo.persistence.repositories.instruments import InstrumentRepository
    from theo.persistence.repositories.leases import LeaseRepository
    from theo.persistence.repositories.market_data import MarketDataRepository
    from theo.persistence.repositories.schema import SchemaRepository
    from theo.persistence.repositories.settings import SettingsRepository
    from theo.persistence.repositories.swings import SwingPointRepository
    from theo.persistence.repositories.trading_state import TradingStateRepository
    from theo.persistence.repositories.users import UserRepository

#: The handle of one database (an SQLAlchemy engine). Composition roots hold it and build repositories from
#: it; nothing outside ``theo.persistence`` looks inside.
Store: TypeAlias = Engine


def connect(url: str, *, echo: bool = False, pool_size: int = 5) -> Store:
    """Open the store at ``url`` (SQLite: its folder is created and WAL switched on); nothing is migrated."""
    from theo.persistence.db import make_engine

    return make_engine(url, echo=echo, pool_size=pool_size)


class Repositories:
    """Every repository of one store, each built on first use (imports stay lazy for quick CLI start-up)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @cached_property
    def market_data(self) -> MarketDataRepository:
        from theo.persistence.repositories.market_data import MarketDataRepository

        return MarketDataRepository(self.store)

    @cached_property
    def instruments(self) -> InstrumentRepository:
        from theo.persistence.repositories.instruments import InstrumentRepository

        return InstrumentRepository(self.store)

    @cached_property
    def indicators(self) -> IndicatorValueRepository:
        from theo.persistence.repositories.indicators import IndicatorValueRepository

        return IndicatorValueRepository(self.store)

    @cached_property
    def swings(self) -> SwingPointRepository:
        from theo.persistence.repositories.swings import SwingPointRepository

        return SwingPointRepository(self.store)

    @cached_property
    def corporate_actions(self) -> CorporateActionRepository:
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository

        return CorporateActionRepository(self.store)

    @cached_property
    def futures(self) -> RollEventRepository:
        from theo.persistence.repositories.futures import RollEventRepository

        return RollEventRepository(self.store)

    @cached_property
    def trading_state(self) -> TradingStateRepository:
        from theo.persistence.repositories.trading_state import TradingStateRepository

        return TradingStateRepository(self.store)

    @cached_property
    def decisions(self) -> DecisionRepository:
        from theo.persistence.repositories.decisions import DecisionRepository

        return DecisionRepository(self.store)

    @cached_property
    def leases(self) -> LeaseRepository:
        from theo.persistence.repositories.leases import LeaseRepository

        return LeaseRepository(self.store)

    @cached_property
    def settings(self) -> SettingsRepository:
        from theo.persistence.repositories.settings import SettingsRepository

        return SettingsRepository(self.store)

    @cached_property
    def schema(self) -> SchemaRepository:
        from theo.persistence.repositories.schema import SchemaRepository

        return SchemaRepository(self.store)

    @cached_property
    def users(self) -> UserRepository:
        from theo.persistence.repositories.users import UserRepository

        return UserRepository(self.store)

    @cached_property
    def audit(self) -> AuditRepository:
        from theo.persistence.repositories.audit import AuditRepository

        return AuditRepository(self.store)

    def close(self) -> None:
        """Close the store's pooled connections."""
        self.store.dispose()


__all__ = ["Repositories", "Store", "connect"]
