"""Property tests over random order flows against the simulated broker (Hypothesis).

Invariants: a position equals the sum of its fills (journal and broker agree); an OCO group never has two
filled members; a bracket child never trades before its entry nor more than its entry filled; no order both
fills and is cancelled; every journaled status change is in the state machine; replaying the broker's events
(twice) changes nothing; the broker's state saved on disk equals its state in memory.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from theo.adapters.sim.state import load_state
from theo.core.errors import OrderError
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.model.enums import OrderStatus as S
from theo.model.enums import TimeInForce
from theo.model.order_states import TRANSITIONS

from .helpers import T0, bar, children, make_rig, minute, req

D = Decimal

#: SQLite files in memory-backed storage when there is one: each example builds a store.
FAST_TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None
TIFS = [TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]
KINDS = ["MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP"]

price = st.integers(min_value=9_800, max_value=10_200).map(lambda c: D(c) / 100)
order_op = st.tuples(st.just("order"), st.sampled_from(KINDS), st.sampled_from(["BUY", "SELL"]),
                     st.integers(1, 30).map(lambda n: n * 10), price, st.sampled_from(TIFS))
#: A bracket: entry side, quantity, entry limit (None: a market entry), stop and target distances in cents
#: (0: no such leg), a trailing stop leg instead of a plain one.
bracket_op = st.tuples(st.just("bracket"), st.sampled_from(["BUY", "SELL"]), st.integers(1, 20).map(lambda n: n * 10),
                       st.none() | price, st.integers(0, 150), st.integers(0, 150), st.booleans())
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 50))
modify_op = st.tuples(st.just("modify"), st.integers(0, 50), st.integers(1, 40).map(lambda n: n * 10))
bar_op = st.tuples(st.just("bar"), price, st.integers(0, 80), st.integers(0, 80), st.integers(-50, 50),
                   st.sampled_from([500.0, 2_000.0, 100_000.0]))
ops = st.lists(st.one_of(order_op, bracket_op, bracket_op, cancel_op, modify_op, bar_op, bar_op, bar_op),
               min_size=1, max_size=40)
#: Bars after the flow, so that what it placed gets a chance to trade.
tail = st.lists(bar_op, min_size=1, max_size=6)


def _request(kind: str, side: str, qty: int, px: D, tif: TimeInForce) -> Any:
    if tif in (TimeInForce.IOC, TimeInForce.FOK) and kind not in ("MARKET", "LIMIT"):
        tif = TimeInForce.GTC
    extra: dict[str, Any] = {}
    if kind in ("LIMIT", "STOP_LIMIT"):
        extra["limit_price"] = px
    if kind in ("STOP", "STOP_LIMIT"):
        extra["stop_price"] = px
    if kind == "TRAILING_STOP":
        extra["trail_amount" if side == "BUY" else "trail_percent"] = D("0.25")  # both trail kinds
    return req(side, qty, kind, tif=tif, **extra)


def _bracket(side: str, qty: int, limit: D | None, stop_cents: int, target_cents: int, trailing: bool,
             last: D) -> tuple[Any, list[Any]]:
    ref = limit if limit is not None else last
    sign = 1 if side == "BUY" else -1
    entry = req(side, qty, "MARKET" if limit is None else "LIMIT", limit_price=limit, tif=TimeInForce.GTC)
    legs = children(side, qty,
                    stop=str(ref - sign * D(stop_cents) / 100) if stop_cents else None,
                    target=str(ref + sign * D(target_cents) / 100) if target_cents else None,
                    trail_percent="0.2" if trailing and stop_cents else None)
    return entry, legs


def _run(tmp: Path, flow: list[tuple[Any, ...]], participation: float | None) -> Any:
    cfg = ExecutionConfig(sim=SimulatedBrokerConfig(participation=participation, slippage_ticks=1))
    rig = make_rig(tmp, config=cfg, state_file="sim.db")
    svc = rig.service
    created: list[str] = []
    t = 0
    for op in flow:
        kind = op[0]
        try:
            if kind == "order":
                created.append(svc.create_order(_request(*op[1:])).client_order_id)
            elif kind == "bracket":
                br = svc.submit_bracket(*_bracket(*op[1:], rig.broker.state.last_price.get("SPY", D(100))))
                created += [o.client_order_id for o in (br.entry, *br.children)]
            elif kind == "cancel" and created:
                svc.cancel_order(created[op[1] % len(created)])
            elif kind == "modify" and created:
                svc.modify_order(created[op[1] % len(created)], quantity=D(op[2]))
            elif kind == "bar":
                _, o, up, down, close, vol = op
                h, lo = o + D(up) / 100, o - D(down) / 100
                c = min(max(o + D(close) / 100, lo), h)
                rig.feed(bar(minute(t), float(o), float(h), float(lo), float(c), v=vol))
                t += 1
        except OrderError:
            pass  # a modify of a finished order, a quantity below the filled one: refused, nothing changes
    return rig


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
@given(first=st.one_of(order_op, bracket_op), flow=ops, after=tail, participation=st.sampled_from([None, 0.05]))
def test_order_flow_invariants(first: tuple[Any, ...], flow: list[tuple[Any, ...]], after: list[tuple[Any, ...]],
                               participation: float | None) -> None:
    with tempfile.TemporaryDirectory(dir=FAST_TMP) as tmp:
        rig = _run(Path(tmp), [first, *flow, *after], participation)
        journal, broker = rig.journal, rig.broker
        orders = journal.load_orders()
        fills = journal.fills()

        # position == sum of fills, and the broker agrees
        expected: dict[str, D] = defaultdict(D)
        for f in fills:
            expected[f.symbol] += f.side.sign * f.quantity
        assert journal.positions() == {k: v for k, v in expected.items() if v}
        assert journal.positions() == {k: p.quantity for k, p in broker.positions().items()}
        assert len(fills) == len(broker.executions())
        for o in orders:
            assert o.filled_qty == sum((f.quantity for f in o.fills), D(0))
            assert o.filled_qty <= o.quantity

        # an OCO group never has two filled members
        filled_by_group: dict[str, int] = defaultdict(int)
        for o in orders:
            if o.oco_group and o.filled_qty > 0:
                filled_by_group[o.oco_group] += 1
        assert all(n == 1 for n in filled_by_group.values())

        # a bracket child trades only after its entry and never more than the entry filled
        by_id = {o.client_order_id: o for o in orders}
        legs: dict[str, list[str]] = defaultdict(list)
        for o in orders:
            if o.parent_id is not None:
                legs[o.parent_id].append(o.client_order_id)
        for o in orders:
            if o.parent_id is None:
                continue
            parent = by_id[o.parent_id]
            assert (o.oco_group is not None) == (len(legs[o.parent_id]) > 1)
            assert o.filled_qty <= parent.filled_qty, (o.client_order_id, o.filled_qty, parent.filled_qty)
            if o.fills:
                assert parent.fills
                assert o.fills[0].ts >= parent.fills[0].ts
                assert o.fills[0].exec_id > parent.fills[0].exec_id

        for o in orders:
            events = journal.events(o.client_order_id)
            reached = {e["status_to"] for e in events}
            # no order both fills and cancels (or expires, or is rejected)
            assert not ("FILLED" in reached and reached & {"CANCELLED", "EXPIRED", "REJECTED"})
            terminal_seen = False
            for e in events:
                if e["kind"] == "fill":
                    assert not terminal_seen, f"fill after the end of {o.client_order_id}"
                if e["status_from"] and e["status_to"] and e["kind"] != "modified":
                    a, b = S(e["status_from"]), S(e["status_to"])
                    assert b in TRANSITIONS[a] or (a is b and e["kind"] != "fill"), (o.client_order_id, a, b)
                if e["status_to"] in ("FILLED", "CANCELLED", "EXPIRED", "REJECTED"):
                    terminal_seen = True

        # the broker's state on disk is the state in memory (each save wrote everything that changed);
        # only the progress marks of quiet steps (prices, the bar whose open ran) wait for the next change, and
        # the price marks are never ahead
        saved = load_state(Path(tmp) / "sim.db", broker.config.sim.initial_cash)
        marks = ("last_seen", "last_price", "opened")
        on_disk = {k: v for k, v in saved.to_json().items() if k not in marks}
        assert on_disk == {k: v for k, v in broker.state.to_json().items() if k not in marks}
        assert list(saved.orders) == list(broker.state.orders)
        assert all(ts <= broker.state.last_seen[sym] for sym, ts in saved.last_seen.items())

        # replaying every broker event twice changes nothing
        snapshot = ([journal.events(o.client_order_id) for o in orders], journal.fills())
        for broker_event in list(rig.events) * 2:
            rig.service.on_broker_event(broker_event)
        assert ([journal.events(o.client_order_id) for o in orders], journal.fills()) == snapshot
        assert rig.clock.now() >= T0
        event(f"fills: {min(len(fills), 5)}")
        event(f"bracket children that traded: {min(sum(1 for o in orders if o.parent_id and o.fills), 3)}")
        event(f"statuses: {sorted({o.status.value for o in orders})}"[:60])
        rig.engine.dispose()
