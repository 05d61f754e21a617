"""Charges of the IBKR schedules, checked by hand against market-rules.md §7."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import theo.config  # noqa: F401
from theo.execution.commissions import CommissionModel
from theo.execution.config import CommissionConfig, SecFeeRate
from theo.model.enums import InstrumentKind, OptionRight, Side
from theo.model.instruments import CME_EQUITY_CALENDAR, Instrument, equity

D = Decimal

TS = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
STOCK = equity("XYZ")
OPTION = Instrument("XYZ 261218C00050000", InstrumentKind.OPTION, multiplier=D(100), expiry=date(2026, 12, 18),
                    underlying="XYZ", strike=D(50), right=OptionRight.CALL)
MES = Instrument("MESZ6", InstrumentKind.FUTURE, tick_size=D("0.25"), multiplier=D(5), expiry=date(2026, 12, 18),
                 calendar=CME_EQUITY_CALENDAR)


@pytest.mark.parametrize(("qty", "price", "commission"), [
    (100, "25", "1.00"),     # IBKR page: 100 sh @ $25 = $1.00 (the minimum)
    (1000, "25", "5.00"),    # 1,000 sh @ $25 = $5.00 (0.005 x 1,000)
    (1000, "0.25", "2.50"),  # 1,000 sh @ $0.25 = $2.50 (cap: 1 % of $250)
])
def test_fixed_schedule_matches_the_ibkr_examples(qty: int, price: str, commission: str) -> None:
    charges, _ = CommissionModel().charges(STOCK, Side.BUY, D(qty), D(price), TS)
    assert charges.commission == D(commission)
    assert charges.sec_fee == 0
    assert charges.finra_taf == 0  # buys pay no TAF
    # CAT 0.000072 x qty, rounded up to the cent: 100 -> 0.0072 -> 0.01; 1,000 -> 0.072 -> 0.08
    assert charges.cat_fee == (D("0.01") if qty == 100 else D("0.08"))
    assert charges.source == "model"
    assert charges.schedule_version.endswith("/fixed")


def test_partial_fills_of_one_order_share_one_minimum() -> None:
    model = CommissionModel()
    state = None
    got = []
    for qty in (50, 50, 50, 300):  # raw 0.25, 0.50, 0.75 -> still the 1.00 minimum; then 2.25 in all
        charges, state = model.charges(STOCK, Side.BUY, D(qty), D(25), TS, state)
        got.append(charges.commission)
    assert got == [D("1.00"), D("0.00"), D("0.00"), D("1.25")]
    assert sum(got) == D("2.25")  # 0.005 x 450 shares, as one order


def test_sales_pay_sec_fee_by_date_and_finra_taf_with_its_cap() -> None:
    model = CommissionModel()
    # 2024-06-03 (rate $27.80 per $1M): 1,000 x $25 = $25,000 -> 0.695 -> 0.70 rounded up
    charges, _ = model.charges(STOCK, Side.SELL, D(1000), D(25), datetime(2024, 6, 3, 15, tzinfo=UTC))
    assert charges.sec_fee == D("0.70")
    assert charges.finra_taf == D("0.17")  # 0.000166 x 1,000 = 0.166 -> 0.17
    # 2023-03-01 (rate $8.00 per $1M): $25,000 -> 0.20
    charges, _ = model.charges(STOCK, Side.SELL, D(1000), D(25), datetime(2023, 3, 1, 15, tzinfo=UTC))
    assert charges.sec_fee == D("0.20")
    # since 2025-05-14 the rate is 0.00 (market-rules.md §7.2)
    charges, _ = model.charges(STOCK, Side.SELL, D(1000), D(25), TS)
    assert charges.sec_fee == 0
    # TAF cap: 100,000 x 0.000166 = 16.60 -> capped at 8.30
    charges, _ = model.charges(STOCK, Side.SELL, D(100_000), D(1), TS)
    assert charges.finra_taf == D("8.30")
    assert charges.commission == D("500.00")  # 0.005 x 100,000; below the cap of 1 % x $100,000
    assert charges.total == charges.commission + charges.finra_taf + charges.cat_fee


def test_sec_rate_comes_from_dated_config() -> None:
    cfg = CommissionConfig(sec_fee_rates=(SecFeeRate(effective=date(2026, 3, 1), per_million=D("20.60")),))
    charges, _ = CommissionModel(cfg).charges(STOCK, Side.SELL, D(1000), D(25), TS)
    assert charges.sec_fee == D("0.52")  # 25,000 x 20.60 / 1e6 = 0.515 -> 0.52
    assert CommissionModel(cfg).sec_rate(date(2026, 2, 28)) == 0


def test_tiered_schedule_adds_clearing_and_pass_through() -> None:
    model = CommissionModel(CommissionConfig(schedule="tiered"))
    charges, _ = model.charges(STOCK, Side.BUY, D(1000), D(25), TS)
    assert charges.commission == D("3.50")  # 0.0035 x 1,000
    assert charges.clearing_fee == D("0.20")  # 0.0002 x 1,000
    assert charges.other_fee == D("0.00")  # 3.50 x (0.000175 + 0.000563) = 0.0026 -> 0.00
    small, _ = model.charges(STOCK, Side.BUY, D(10), D(25), TS)
    assert small.commission == D("0.35")  # the tiered minimum
    big, _ = model.charges(STOCK, Side.BUY, D(300_000), D(25), TS)
    assert big.commission == D("1050.00")
    assert big.other_fee == D("0.77")  # 1,050 x 0.000738 = 0.7749 -> 0.77


def test_options_by_premium_band_with_minimum_and_regulatory_fees() -> None:
    model = CommissionModel()
    buy, _ = model.charges(OPTION, Side.BUY, D(3), D("1.20"), TS)
    assert buy.commission == D("1.95")  # 3 x 0.65
    assert buy.orf == D("0.09")  # 3 x 0.02685 = 0.08055 -> 0.09
    assert buy.occ_fee == D("0.06")  # 3 x 0.02
    assert buy.finra_taf == 0
    sell, _ = model.charges(OPTION, Side.SELL, D(3), D("1.20"), TS)
    assert sell.finra_taf == D("0.01")  # 3 x 0.00279 = 0.00837 -> 0.01
    cheap, _ = model.charges(OPTION, Side.BUY, D(1), D("0.03"), TS)
    assert cheap.commission == D("1.00")  # 0.25 x 1, raised to the 1.00 minimum
    mid, _ = model.charges(OPTION, Side.BUY, D(10), D("0.07"), TS)
    assert mid.commission == D("5.00")  # 10 x 0.50


def test_mes_per_contract_per_side() -> None:
    charges, _ = CommissionModel().charges(MES, Side.BUY, D(2), D("6000.25"), TS)
    assert charges.commission == D("0.50")  # 2 x 0.25
    assert charges.exchange_fee == D("0.70")  # 2 x 0.35 (configured CME fee)
    assert charges.nfa_fee == D("0.04")  # 2 x 0.02
    assert charges.total == D("1.24")  # 0.62 per contract per side (market-rules.md §7.4)
    assert charges.sec_fee == 0
    assert charges.finra_taf == 0
