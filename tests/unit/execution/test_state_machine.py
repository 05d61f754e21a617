"""The order state machine: allowed moves, terminal states, illegal moves raise."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theo.core.errors import IllegalTransition
from theo.model.enums import OrderStatus as S
from theo.model.enums import OrderType, Side
from theo.model.order_states import TRANSITIONS, transition
from theo.model.orders import TERMINAL_STATUSES, Order, OrderRequest


def _order(status: S = S.CREATED) -> Order:
    return Order("t-1", OrderRequest("SPY", Side.BUY, Decimal(1), OrderType.MARKET), status=status)


def test_every_status_has_an_entry_and_terminal_ones_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(S)
    for status in TERMINAL_STATUSES:
        assert TRANSITIONS[status] == frozenset()


def test_unknown_is_resolved_by_the_broker_never_by_resending() -> None:
    assert S.SUBMITTED not in TRANSITIONS[S.UNKNOWN]
    assert S.CREATED not in TRANSITIONS[S.UNKNOWN]
    assert {S.ACCEPTED, S.FILLED, S.CANCELLED, S.REJECTED} <= TRANSITIONS[S.UNKNOWN]


def test_happy_path_and_illegal_move() -> None:
    order = _order()
    assert transition(order, S.SUBMITTED) is S.CREATED
    transition(order, S.ACCEPTED)
    transition(order, S.PARTIALLY_FILLED)
    transition(order, S.PARTIALLY_FILLED)
    transition(order, S.FILLED)
    with pytest.raises(IllegalTransition, match="FILLED -> CANCELLED is not allowed"):
        transition(order, S.CANCELLED)
    assert order.status is S.FILLED


def test_created_cannot_be_filled_without_being_sent() -> None:
    with pytest.raises(IllegalTransition):
        transition(_order(), S.FILLED)


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_no_transition_outside_the_state_machine(targets: list[S]) -> None:
    order = _order()
    history = [order.status]
    for to in targets:
        before = order.status
        if to in TRANSITIONS[before]:
            transition(order, to)
            history.append(to)
        else:
            with pytest.raises(IllegalTransition):
                transition(order, to)
            assert order.status is before
    for a, b in itertools.pairwise(history):
        assert b in TRANSITIONS[a]
    # once terminal, always terminal: nothing follows a terminal state
    for i, status in enumerate(history):
        if status in TERMINAL_STATUSES:
            assert i == len(history) - 1
