"""P&L: realised + unrealised - charges equals the mark-to-market change of the account (property)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.model.enums import Side
from theo.model.ledger import FillLedger, PnL, by_day, by_strategy, trade_pnl
from theo.model.trades import ExitReason, Trade
from theo.trading.portfolio import closed_equity_peak, losses_in_row

D = Decimal
EPS = D("1e-18")
T0 = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)
prices = st.integers(min_value=100, max_value=50_000).map(lambda c: D(c) / 100)
charges = st.integers(min_value=0, max_value=500).map(lambda c: D(c) / 100)
fill = st.tuples(st.sampled_from(["AAA", "BBB"]), st.sampled_from([Side.BUY, Side.SELL]),
                 st.integers(min_value=1, max_value=300), prices, charges)


@settings(max_examples=300, deadline=None)
@given(fills=st.lists(fill, min_size=1, max_size=30), marks=st.tuples(prices, prices),
       mult=st.sampled_from([D(1), D(5), D(100)]))
def test_account_pnl_equals_mark_to_market_change_net_of_charges(
        fills: list[tuple[str, Side, int, Decimal, Decimal]], marks: tuple[Decimal, Decimal], mult: Decimal) -> None:
    ledger = FillLedger()
    cash = D(0)
    pos = {"AAA": D(0), "BBB": D(0)}
    for i, (sym, side, q, px, ch) in enumerate(fills):
        ledger.add_fill(sym, side, D(q), px, ch, T0 + timedelta(minutes=i), mult)
        cash -= side.sign * D(q) * px * mult + ch
        pos[sym] += side.sign * D(q)
    mark = {"AAA": marks[0], "BBB": marks[1]}
    mtm = cash + sum((pos[s] * mark[s] * mult for s in pos), D(0))
    pnl = ledger.pnl(mark)
    # Exact up to Decimal's 28 significant digits (a partial exit divides the cost basis).
    assert abs(pnl.realised + pnl.unrealised - pnl.charges - mtm) < EPS
    assert pnl.charges == sum((f[4] for f in fills), D(0))
    assert abs(sum((p.net for p in ledger.daily.values()), D(0)) - (pnl.realised - pnl.charges)) < EPS


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(min_value=1, max_value=200), prices, charges), min_size=1, max_size=5),
       exits=st.lists(st.tuples(st.integers(min_value=1, max_value=200), prices, charges), max_size=5),
       side=st.sampled_from([Side.BUY, Side.SELL]), mark=prices)
def test_trade_pnl_equals_its_cash_flows_marked_to_market(
        entries: list[tuple[int, Decimal, Decimal]], exits: list[tuple[int, Decimal, Decimal]], side: Side,
        mark: Decimal) -> None:
    t = Trade("s", "AAA", side, D(1000), "e1")
    cash = D(0)
    for i, (q, px, ch) in enumerate(entries):
        t.add_entry_fill(D(q), px, ch, T0 + timedelta(minutes=i))
        cash -= side.sign * D(q) * px + ch
    for i, (q, px, ch) in enumerate(exits):
        q = min(D(q), t.open_qty)
        if q <= 0:
            break
        t.add_exit_fill(q, px, ch, T0 + timedelta(hours=1, minutes=i))
        cash += side.sign * q * px - ch
    p = trade_pnl(t, mark)
    assert abs(p.net - (cash + side.sign * t.open_qty * mark)) < EPS
    assert abs(by_day([t], {"AAA": mark}, T0.date())[T0.date()].net - p.net) < EPS
    assert by_strategy([t], {"AAA": mark})["s"] == p


def test_pnl_adds_up() -> None:
    assert PnL(D(1), D(2), D(3)) + PnL(D(1), D(1), D(1)) == PnL(D(2), D(3), D(4))
    assert PnL(D(10), D(5), D(3)).net == D(12)
    assert PnL(D(10), D(5), D(3)).gross == D(15)


@given(st.lists(st.tuples(st.integers(-500, 500), st.integers(0, 5)), max_size=30))
def test_the_closed_equity_peak_and_the_losing_streak_follow_the_closing_order(results: list[tuple[int, int]]) -> None:
    t0 = datetime(2024, 3, 1, 15, tzinfo=UTC)
    trades = []
    for i, (pnl, fee) in enumerate(results):
        t = Trade(strategy="s", symbol="SPY", side=Side.BUY, planned_qty=Decimal(1), entry_order_id=f"e{i}")
        t.add_entry_fill(Decimal(1), Decimal(100), Decimal(0), t0)
        t.add_exit_fill(Decimal(1), Decimal(100 + pnl), Decimal(fee), t0 + timedelta(minutes=len(results) - i))
        t.close(ExitReason.EXIT_RULE, t0 + timedelta(minutes=len(results) - i))
        trades.append(t)
    closing = list(reversed(results))  # the last trade made closed first
    running, peak = Decimal(1000), Decimal(1000)
    for pnl, fee in closing:
        running += pnl - fee
        peak = max(peak, running)
    assert closed_equity_peak(Decimal(1000), trades) == peak
    streak = 0
    for pnl, fee in reversed(closing):
        if pnl - fee >= 0:
            break
        streak += 1
    assert losses_in_row(trades) == streak
