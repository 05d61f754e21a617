"""The bus codec: every payload the engine publishes decodes to an equal object (property tests), versioned."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.bus import codec
from theo.data.gate import FeedStale
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.events import Execution
from theo.model.market import Bar, Tick
from theo.model.orders import Order, OrderRequest, OrderTag
from theo.model.signals import Signal
from theo.model.trades import ExitReason, Trade
from theo.risk.state import State, StateChange

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
money = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12"),
                    places=None)
utc = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
symbols = st.sampled_from(["SPY", "QQQ", "ESZ6", "BRK.B"])


def _same(a: Any, b: Any) -> None:
    """Equal values, and Decimals with the same digits and exponent (1.10 stays 1.10)."""
    assert type(a) is type(b)
    if isinstance(a, Decimal):
        assert a.as_tuple() == b.as_tuple()
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    elif isinstance(a, datetime):
        assert a == b
        assert a.utcoffset() == b.utcoffset()
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif hasattr(a, "__dataclass_fields__"):
        for f in fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif hasattr(type(a), "__slots__"):
        for n in type(a).__slots__:
            _same(getattr(a, n), getattr(b, n))
    else:
        assert a == b


def _round(message: Any) -> Any:
    return codec.decode(codec.encode(message))


@settings(max_examples=40, deadline=None)
@given(symbol=symbols, ts=utc, price=finite, size=finite, source=words, trade_id=words, received=st.none() | utc)
def test_ticks_round_trip_bit_for_bit(symbol: str, ts: datetime, price: float, size: float, source: str,
                                      trade_id: str, received: datetime | None) -> None:
    tick = Tick(symbol, ts, price, size, source, "N", "@", received, trade_id)
    back = _round(tick)
    _same(tick, back)
    assert back == tick


@settings(max_examples=40, deadline=None)
@given(symbol=symbols, start=utc, o=finite, h=finite, lo=finite, c=finite, v=finite)
def test_bars_round_trip(symbol: str, start: datetime, o: float, h: float, lo: float, c: float, v: float) -> None:
    bar = Bar(symbol, "5m", start, start + timedelta(minutes=5), o, h, lo, c, v)
    assert _round(bar) == bar


@settings(max_examples=40, deadline=None)
@given(qty=money, limit=st.none() | money, fill=money, ts=utc, cid=words, status=st.sampled_from(list(OrderStatus)),
       tag=st.sampled_from(list(OrderTag)), sid=st.none() | st.integers(0, 2**62))
def test_orders_with_fills_round_trip(qty: Decimal, limit: Decimal | None, fill: Decimal, ts: datetime, cid: str,
                                      status: OrderStatus, tag: OrderTag, sid: int | None) -> None:
    req = OrderRequest("SPY", Side.SELL, qty, OrderType.LIMIT, limit_price=limit, signal_id=sid, tag=tag)
    order = Order(cid, req, status=status, filled_qty=qty, avg_fill_price=fill, created_at=ts, updated_at=ts)
    order.fills.append(Execution("E1", cid, "SPY", Side.SELL, qty, fill, ts))
    back = _round(order)
    _same(order, back)
    assert back == order


@settings(max_examples=40, deadline=None)
@given(inputs=st.dictionaries(words, st.none() | finite | st.booleans() | words, max_size=4), ts=utc, price=finite,
       stop=st.none() | finite)
def test_signals_round_trip(inputs: dict[str, Any], ts: datetime, price: float, stop: float | None) -> None:
    sig = Signal("z", "QQQ", Side.BUY, ts, price, "1m", stop_loss=stop, reason="z < -2", inputs=inputs)
    assert _round(sig) == sig


@settings(max_examples=40, deadline=None)
@given(entry=money, realised=money, charges=money, ts=utc, comments=st.lists(words, max_size=3))
def test_trades_with_their_ledger_round_trip(entry: Decimal, realised: Decimal, charges: Decimal, ts: datetime,
                                             comments: list[str]) -> None:
    trade = Trade("don", "SPY", Side.BUY, Decimal(10), "e1", entry_price=entry, entry_ts=ts, comments=comments,
                  exit_reason=ExitReason.TRAILING_STOP, events=[(ts, realised, charges)],
                  protective={"e1-sl": ExitReason.STOP_LOSS})
    trade.book.quantity = Decimal(10)
    trade.book.realised = realised
    back = _round(trade)
    _same(trade, back)
    assert isinstance(back.events[0], tuple)


@settings(max_examples=40, deadline=None)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | finite | words | money | utc,
                          lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                          | st.dictionaries(words, inner, max_size=3)
                          | st.dictionaries(st.integers(), inner, max_size=2), max_leaves=12))
def test_plain_values_round_trip_with_their_types(value: Any) -> None:
    _same(value, _round(value))


def test_odd_values_keep_their_type() -> None:
    odd = {"$d": 1, "nan": float("nan"), "inf": -math.inf, "set": {1, 2}, "frozen": frozenset({"a"}),
           "bytes": b"\x00\xff", "offset": datetime(2026, 1, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
           "gap": timedelta(days=1, microseconds=5), "state": StateChange(datetime(2026, 1, 2, tzinfo=UTC),
                                                                         State.HALTED, State.ACTIVE, "why", "ann")}
    _same(odd, _round(odd))
    stale = FeedStale("SPY", "ibkr", datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 2, 0, 1, tzinfo=UTC))
    assert _round(stale) == stale


def test_the_envelope_is_versioned_and_checked() -> None:
    data = json.loads(codec.encode({"a": Decimal("1.10")}))
    assert data == {"v": codec.VERSION, "m": {"a": {"$d": "1.10"}}}
    with pytest.raises(codec.CodecError, match="version 99, this Theo reads version 1"):
        codec.decode(json.dumps({"v": 99, "m": 1}).encode())
    with pytest.raises(codec.CodecError, match="not JSON"):
        codec.decode(b"\xff\x00")
    with pytest.raises(codec.CodecError, match="no codec envelope"):
        codec.decode(b'{"price": 1}')


def test_only_registered_classes_travel() -> None:
    class Mine:
        pass

    with pytest.raises(codec.CodecError, match="cannot put a Mine on the bus"):
        codec.encode(Mine())
    with pytest.raises(codec.CodecError, match=r"os\.system is not registered"):
        codec.decode(json.dumps({"v": 1, "m": {"$c": ["os.system", {}]}}).encode())
    with pytest.raises(codec.CodecError, match="unknown enum"):
        codec.decode(json.dumps({"v": 1, "m": {"$e": ["builtins.Nope", "X"]}}).encode())


def test_a_field_added_or_removed_by_another_version_is_tolerated() -> None:
    wire = json.loads(codec.encode(Tick("SPY", datetime(2026, 1, 2, tzinfo=UTC), 1.5, 2.0)))
    fields_ = wire["m"]["$c"][1]
    fields_["future_field"] = 1
    del fields_["trade_id"]
    back = codec.decode(json.dumps(wire).encode())
    assert back == Tick("SPY", datetime(2026, 1, 2, tzinfo=UTC), 1.5, 2.0)
