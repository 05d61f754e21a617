"""The order state machine: every status change goes through :func:`transition`.

::

    CREATED ─► SUBMITTED ─► ACCEPTED ─► PARTIALLY_FILLED ─► FILLED
       │           │            │  ▲            │
       │           │            ▼  │            ▼
       │           │      PENDING_MODIFY   PENDING_CANCEL ─► CANCELLED
       ▼           ▼
    REJECTED    UNKNOWN ─► (whatever the broker says: never re-sent)

FILLED, CANCELLED, REJECTED and EXPIRED are terminal.
"""

from __future__ import annotations

from datetime import datetime

from theo.core.errors import IllegalTransition
from theo.model.enums import OrderStatus as S
from theo.model.orders import Order

_WORKING_EXITS = frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED, S.UNKNOWN})

TRANSITIONS: dict[S, frozenset[S]] = {
    # A CREATED intent was never sent: it may be sent, refused locally, or dropped.
    S.CREATED: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED}),
    S.SUBMITTED: _WORKING_EXITS | {S.ACCEPTED, S.REJECTED, S.PENDING_CANCEL},
    S.ACCEPTED: _WORKING_EXITS | {S.PENDING_CANCEL, S.PENDING_MODIFY},
    S.PARTIALLY_FILLED: _WORKING_EXITS | {S.PENDING_CANCEL, S.PENDING_MODIFY},
    S.PENDING_MODIFY: _WORKING_EXITS | {S.ACCEPTED, S.PENDING_CANCEL},
    # A refused cancel puts the order back to working.
    S.PENDING_CANCEL: _WORKING_EXITS | {S.ACCEPTED},
    # Resolved by asking the broker; SUBMITTED is not a way out (that would mean sending it again).
    S.UNKNOWN: frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def can_transition(current: S, to: S) -> bool:
    return to in TRANSITIONS[current]


def transition(order: Order, to: S, ts: datetime | None = None) -> S:
    """Move ``order`` to ``to`` and return the previous status; raise :class:`IllegalTransition` if not allowed."""
    current = order.status
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(f"order {order.client_order_id}: {current.value} -> {to.value} is not allowed "
                                f"(allowed: {sorted(s.value for s in TRANSITIONS[current]) or 'none, terminal'})")
    order.status = to
    if ts is not None:
        order.updated_at = ts
    return current
