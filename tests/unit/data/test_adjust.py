"""Backward adjustment: exact factors, adjusting then un-adjusting is the identity, factors compose."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.calendar import ET
from theo.core.errors import DataError
from theo.core.time import to_us
from theo.data.adjust import (
    adjust_price,
    boundary_us,
    compose,
    dividend_factor,
    effective,
    plan,
    split_factor,
    unadjust_price,
)
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.reference import CorporateAction

K = CorporateActionKind
prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"), places=4)
ratios = st.sampled_from([Decimal(2), Decimal(3), Decimal(7), Decimal("1.5"), Decimal("0.25"), Decimal("0.1"),
                          Decimal("0.33333333"), Decimal(4), Decimal("1.25")])


def _split(ratio: Decimal, day: date = date(2014, 6, 9), source: str = "csv") -> CorporateAction:
    kind = K.SPLIT if ratio > 1 else K.REVERSE_SPLIT
    return CorporateAction("AAPL", kind, day, ratio=ratio, source=source)


@settings(deadline=None, max_examples=300)
@given(price=prices, ratio=ratios)
def test_adjusting_then_unadjusting_gives_the_price_back(price: Decimal, ratio: Decimal) -> None:
    f = split_factor(_split(ratio))
    assert f is not None
    back = unadjust_price(adjust_price(price, f), f)
    assert back.quantize(Decimal("0.0001")) == price


@settings(deadline=None, max_examples=300)
@given(price=prices, first=ratios, second=ratios)
def test_two_actions_compose_into_the_product_of_their_factors(price: Decimal, first: Decimal,
                                                                 second: Decimal) -> None:
    f1, f2 = split_factor(_split(first)), split_factor(_split(second))
    assert f1 is not None
    assert f2 is not None
    both = compose([f1, f2])
    assert both == f1 * f2  # exact: fractions of the decimal ratios
    step_by_step = adjust_price(adjust_price(price, f1), f2)
    assert abs(step_by_step - adjust_price(price, both)) <= abs(price) * Decimal("1e-20")


@settings(deadline=None, max_examples=200)
@given(close=st.lists(st.floats(min_value=1, max_value=1000), min_size=3, max_size=40),
       cut=st.integers(min_value=1, max_value=38), ratio=ratios)
def test_the_plan_rescales_only_bars_before_the_ex_date(close: list[float], cut: int, ratio: Decimal) -> None:
    days = [date.fromordinal(date(2014, 1, 1).toordinal() + i) for i in range(len(close))]
    start = np.array([to_us(datetime(d.year, d.month, d.day, 9, 30, tzinfo=ET)) for d in days], dtype=np.int64)
    cut = min(cut, len(close) - 1)
    p = plan([_split(ratio, days[cut])], Adjustment.SPLITS, start, np.array(close))
    f = p.factors(start)
    assert np.all(f[:cut] == float(1 / Fraction(ratio)))
    assert np.all(f[cut:] == 1.0)
    assert p.factor_at(int(start[0])) == 1 / Fraction(ratio)
    assert plan([_split(ratio, days[cut])], Adjustment.NONE, start, np.array(close)).steps == ()


def test_factors_per_kind() -> None:
    assert split_factor(_split(Decimal(7))) == Fraction(1, 7)
    assert split_factor(_split(Decimal("0.25"))) == 4
    stock = CorporateAction("X", K.STOCK_DIVIDEND, date(2020, 1, 2), ratio=Decimal("0.05"))
    assert split_factor(stock) == Fraction(1, Fraction(21, 20))
    div = CorporateAction("X", K.CASH_DIVIDEND, date(2020, 1, 2), amount=Decimal("0.50"))
    assert dividend_factor(div, Decimal("100")) == Fraction(199, 200)
    assert dividend_factor(div, Decimal("0.40")) is None  # a dividend above the price cannot be right
    assert dividend_factor(div, None) is None


def test_the_same_split_from_three_sources_counts_once_and_the_csv_wins() -> None:
    day = date(2020, 8, 31)
    got = effective([_split(Decimal(4), day, "ibkr"), _split(Decimal(4), day, "polygon"),
                     _split(Decimal(4), day, "csv"),
                     CorporateAction("AAPL", K.CASH_DIVIDEND, day, amount=Decimal("0.82"), source="polygon")],
                    Adjustment.SPLITS)
    assert [(a.kind, a.source) for a in got] == [(K.SPLIT, "csv")]
    with_divs = effective([_split(Decimal(4), day), CorporateAction("AAPL", K.CASH_DIVIDEND, day,
                                                                    amount=Decimal("0.82"))],
                          Adjustment.SPLITS_DIVIDENDS)
    assert [a.kind for a in with_divs] == [K.CASH_DIVIDEND, K.SPLIT]


def test_dividends_adjust_with_the_close_before_the_ex_date() -> None:
    days = [date(2020, 3, d) for d in (2, 3, 4)]
    start = np.array([to_us(datetime(d.year, d.month, d.day, tzinfo=ET)) for d in days], dtype=np.int64)
    div = CorporateAction("X", K.CASH_DIVIDEND, days[2], amount=Decimal(1))
    p = plan([div], Adjustment.SPLITS_DIVIDENDS, start, np.array([50.0, 40.0, 39.0]))
    assert [float(s.factor) for s in p.steps] == [pytest.approx(0.975)]
    assert list(p.factors(start)) == [pytest.approx(0.975), pytest.approx(0.975), 1.0]
    assert plan([div], Adjustment.SPLITS, start, np.array([50.0, 40.0, 39.0])).steps == ()
    assert "adjusted for splits+dividends: cash_dividend 2020-03-04 (1 USD/share, factor 0.975" in p.describe()


def test_the_ex_date_starts_at_midnight_new_york() -> None:
    assert boundary_us(date(2014, 6, 9)) == to_us(datetime(2014, 6, 9, tzinfo=ET))


@pytest.mark.parametrize(("kind", "kwargs", "message"), [
    (K.SPLIT, {"ratio": Decimal("0.5")}, "reverse_split"),
    (K.REVERSE_SPLIT, {"ratio": Decimal(2)}, "fewer shares"),
    (K.SPLIT, {}, "ratio must be a positive number"),
    (K.CASH_DIVIDEND, {"amount": Decimal(0)}, "cash per share"),
    (K.SYMBOL_CHANGE, {}, "new_symbol is required"),
])
def test_an_action_whose_figures_contradict_its_kind_is_refused(kind: K, kwargs: dict[str, Decimal],
                                                                  message: str) -> None:
    with pytest.raises(DataError, match=message):
        CorporateAction("AAPL", kind, date(2020, 1, 2), **kwargs)  # type: ignore[arg-type]
