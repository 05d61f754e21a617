"""The ``risk_decisions`` table: the append-only record of pre-trade decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from theo.persistence.db import transaction
from theo.persistence.models.trades import RiskDecisionRow
from theo.persistence.repositories.base import Repository
from theo.risk.decisions import Decision, request_json


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A recorded decision as an operator reads it."""

    ts: datetime
    account: str
    strategy: str
    symbol: str
    rule: str
    allowed: bool
    reason: str


class DecisionRepository(Repository):
    """Implements :class:`theo.risk.decisions.DecisionStore`."""

    def append(self, account: str, decisions: Sequence[Decision]) -> None:
        """Record ``decisions`` of ``account`` in one transaction."""
        with transaction(self.engine) as s:
            for d in decisions:
                s.add(RiskDecisionRow(ts=d.ts, account=account, strategy=d.request.strategy,
                                      symbol=d.request.symbol, rule=d.rule, allowed=d.allowed, reason=d.reason,
                                      request=request_json(d.request)))

    def denials(self, limit: int = 10) -> list[StoredDecision]:
        """The latest denials of every account, newest first."""
        with transaction(self.engine) as s:
            rows = s.scalars(select(RiskDecisionRow).where(RiskDecisionRow.allowed.is_(False))
                             .order_by(RiskDecisionRow.id.desc()).limit(limit))
            return [StoredDecision(r.ts, r.account, r.strategy, r.symbol, r.rule, r.allowed, r.reason) for r in rows]
