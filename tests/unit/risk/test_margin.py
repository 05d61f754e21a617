"""Margin requirements of market-rules.md §2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from theo.core.errors import RiskDenied
from theo.model.enums import Exchange, InstrumentKind
from theo.model.instruments import Instrument, equity
from theo.risk.config import FuturesMargin, MarginSettings
from theo.risk.margin import MarginModel

D = Decimal
M = MarginModel(MarginSettings())
SPY = equity("SPY")


def test_long_stock() -> None:
    assert M.intraday_initial(SPY, D(100), D(100)) == D(2500)
    assert M.reg_t_initial(SPY, D(100), D(100)) == D(5000)
    assert M.maintenance(SPY, D(100), D(100)) == D(2500)


@pytest.mark.parametrize(("price", "expected"), [
    (D(20), D(600)),      # 30 % above 16.67
    (D(10), D(500)),      # $5/share from 5 to 16.67
    (D(4), D(400)),       # 100 % below 5
    (D(2), D(250)),       # $2.50/share at or below 2.50
])
def test_short_maintenance_follows_the_house_table(price: Decimal, expected: Decimal) -> None:
    assert M.maintenance(SPY, D(-100), price) == expected


def test_day_trading_buying_power_is_four_times_excess() -> None:
    assert M.day_trading_buying_power(D(30000), D(5000)) == D(100000)
    assert M.day_trading_buying_power(D(3000), D(5000)) == D(0)


def test_futures_margin_comes_from_config() -> None:
    mes = Instrument("MESZ6", InstrumentKind.FUTURE, Exchange.CME, tick_size=D("0.25"), multiplier=D(5),
                     calendar="CME_EQUITY", underlying="MES", expiry=date(2026, 12, 18))
    with pytest.raises(RiskDenied) as info:
        M.intraday_initial(mes, D(2), D(6000))
    assert "risk.account.margin.futures.MES" in info.value.reason
    model = MarginModel(MarginSettings(futures={"MES": FuturesMargin(initial=D(2000), maintenance=D(1800))}))
    assert model.intraday_initial(mes, D(-2), D(6000)) == D(4000)
    assert model.maintenance(mes, D(2), D(6000)) == D(3600)
