"""The lease repository: one holder per name, renewals only by the holder, take-over only when allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from theo.execution.lock import Lease, LeaseStore
from theo.persistence.repositories.leases import LeaseRepository

T0 = datetime(2026, 11, 24, 15, tzinfo=UTC)


def _lease(owner: str, at: datetime) -> Lease:
    return Lease("engine", owner, 4242, "host-" + owner, at, at)


def test_a_lease_is_claimed_renewed_taken_over_and_released(engine: Engine) -> None:
    leases = LeaseRepository(engine)
    assert isinstance(leases, LeaseStore)
    asked: list[Lease] = []

    def never(held: Lease) -> bool:
        asked.append(held)
        return False

    assert leases.claim(_lease("a", T0), never) is None
    assert leases.claim(_lease("a", T0 + timedelta(seconds=5)), never) is None  # the owner renews
    holder = leases.claim(_lease("b", T0 + timedelta(seconds=6)), never)
    assert holder == Lease("engine", "a", 4242, "host-a", T0, T0 + timedelta(seconds=5))
    assert asked == [holder]
    assert leases.renew("engine", "a", T0 + timedelta(seconds=7))
    assert not leases.renew("engine", "b", T0 + timedelta(seconds=7))
    assert leases.claim(_lease("b", T0 + timedelta(seconds=40)), lambda held: True) is None
    assert not leases.renew("engine", "a", T0 + timedelta(seconds=41))  # taken from a
    leases.release("engine", "a")  # not a's any more: nothing happens
    assert leases.claim(_lease("c", T0 + timedelta(seconds=42)), never) is not None
    leases.release("engine", "b")
    assert leases.claim(_lease("c", T0 + timedelta(seconds=43)), never) is None
