"""Reference data, snapshots and depth from the fake TWS: symbols, option chains, futures, fundamentals."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.tws import FakeTws
from tests.fakes.tws.dividends import set_dividends
from tests.integration.ibkr.data_support import rig
from theo.adapters.ibkr.errors import IbkrError
from theo.adapters.ibkr.reference import AmbiguousSymbol, UnknownSymbol
from theo.model.enums import InstrumentKind, OptionRight, SessionKind
from theo.persistence.repositories import connect
from theo.persistence.repositories.corporate_actions import CorporateActionRepository
from theo.persistence.repositories.schema import SchemaRepository
from theo.strategy.scanner.strikes import select_strike


def test_validate_symbol_known_unknown_and_ambiguous() -> None:
    async def main() -> None:
        async with rig(lambda f: f.ambiguous("IBM")) as r:
            info = await r.md.validate_symbol("aapl")
            assert (info.symbol, info.kind, info.primary_exchange, info.currency, info.con_id) == (
                "AAPL", InstrumentKind.STOCK, "NASDAQ", "USD", 265598)
            assert info.min_tick == Decimal("0.01")
            with pytest.raises(UnknownSymbol, match="IBKR does not know symbol 'NOPEQ'"):
                await r.md.validate_symbol("NOPEQ")
            with pytest.raises(UnknownSymbol, match="is not a ticker"):
                await r.md.validate_symbol("12 ;drop")
            with pytest.raises(AmbiguousSymbol, match="matches 2 IBKR contracts") as exc:
                await r.md.validate_symbol("IBM")
            assert {c.currency for c in exc.value.candidates} == {"USD", "EUR"}

    asyncio.run(main())


def chain(fake: FakeTws) -> None:
    # A $1-wide chain near the money with no $2.50 steps: the assumed spacing would pick unlisted strikes.
    fake.add_option_chain("QQQ", ["20261211", "20261218"], [495, 498, 499, 500, 501, 502, 505, 510])


def test_option_chain_and_strike_selection_on_the_real_chain() -> None:
    async def main() -> None:
        async with rig(chain) as r:
            ch = await r.md.get_option_chain("QQQ", expiries=1)
            assert ch.expirations == (date(2026, 12, 11), date(2026, 12, 18))
            assert ch.strikes == tuple(Decimal(k) for k in (495, 498, 499, 500, 501, 502, 505, 510))
            assert ch.multiplier == 100
            assert ch.strikes_for(date(2026, 12, 11)) == ch.strikes  # looked up from the listed contracts
            assert ch.expiration_on_or_after(date(2026, 12, 12)) == date(2026, 12, 18)
            listed = ch.strikes_for(date(2026, 12, 18))
            assert select_strike(500.4, OptionRight.CALL, "OTM", chain=listed) == Decimal("501.00")
            assert select_strike(500.4, OptionRight.CALL, "OTM") == Decimal("510.00")  # assumed $10 spacing
            assert select_strike(500.4, OptionRight.PUT, "ITM", chain=listed) == Decimal("501.00")
            # the scanner's lookup (Scanner(strikes=md.listed_strikes)) answers from the loaded chain
            assert r.md.listed_strikes("qqq", date(2026, 12, 18)) == listed
            assert r.md.listed_strikes("QQQ", date(2026, 12, 25)) is None  # not listed: standard intervals
            assert r.md.listed_strikes("SPY", date(2026, 12, 18)) is None

    asyncio.run(main())


def futures(fake: FakeTws) -> None:
    fake.add_future("MES", "20261218")
    fake.add_future("MES", "20270319")
    fake.add_future("VIX", "20261216", multiplier="1000", exchange="CFE", min_tick=0.05, local_symbol="VXZ6")
    fake.add_index("VIX")


def test_mes_and_vix_futures_with_expiries_and_the_roll() -> None:
    async def main() -> None:
        async with rig(futures) as r:
            mes = await r.md.get_futures("MES")
            assert [(f.local_symbol, f.expiry, f.roll_date) for f in mes] == [
                ("MESZ6", date(2026, 12, 18), date(2026, 12, 10)), ("MESH7", date(2027, 3, 19), date(2027, 3, 11))]
            assert (await r.md.get_front_future("MES", date(2026, 12, 9))).local_symbol == "MESZ6"
            assert (await r.md.get_front_future("MES", date(2026, 12, 10))).local_symbol == "MESH7"  # rolled
            [vx] = await r.md.get_futures("VIX")
            assert (vx.root, vx.local_symbol, vx.expiry, vx.multiplier, vx.roll_date) == (
                "VX", "VXZ6", date(2026, 12, 16), 1000, None)
            info = await r.md.validate_symbol("MESZ6")
            assert (info.kind, info.exchange, info.multiplier, info.expiry) == (
                InstrumentKind.FUTURE, "CME", 5, date(2026, 12, 18))
            index = await r.md.validate_symbol("VIX")
            assert index.kind is InstrumentKind.INDEX

    asyncio.run(main())


def test_snapshot_current_price_depth_and_market_status() -> None:
    extended = datetime(2026, 12, 3, 22, 15, tzinfo=UTC)  # 17:15 ET, post-market

    async def main() -> None:
        async with rig(now=lambda: extended) as r:
            r.fake.set_close("MSFT", 400.0)
            r.fake.push_quote("MSFT", 401.0, 401.2, 300, 200)
            r.fake.push_trade("MSFT", 401.1, 50, ts=extended - timedelta(minutes=5))
            snap = await r.md.get_market_data("MSFT")
            assert (snap.bid, snap.ask, snap.last, snap.close, snap.volume) == (
                Decimal("401.0"), Decimal("401.2"), Decimal("401.1"), Decimal("400.0"), Decimal(50))
            assert snap.delayed is False
            price = await r.md.get_current_price("MSFT")
            assert (price.price, price.basis, price.session, price.market_session) == (
                Decimal("401.1"), "last", SessionKind.POST, SessionKind.POST)
            r.fake.set_depth("MSFT", bids=[(401.0, 300), (400.9, 500)], asks=[(401.2, 200), (401.3, 700)])
            depth = await r.md.get_market_depth("MSFT", rows=2)
            assert [(d.price, d.size) for d in depth.bids] == [(Decimal("401.0"), 300), (Decimal("400.9"), 500)]
            assert [(d.price, d.size) for d in depth.asks] == [(Decimal("401.2"), 200), (Decimal("401.3"), 700)]
            status = await r.md.get_market_status()
            assert status.session is SessionKind.POST
            assert status.close == datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
            assert status.next_open == datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
            assert status.server_time is not None
            assert status.link == "ready"

    asyncio.run(main())


def test_fundamentals_and_dividends_into_the_corporate_actions_store(tmp_path: Path) -> None:
    store = connect(f"sqlite:///{tmp_path / 'theo.db'}")
    SchemaRepository(store).upgrade()
    actions = CorporateActionRepository(store)

    async def main() -> None:
        async with rig(lambda f: set_dividends(f, "AAPL", 0.96, 1.04, "20261109", 0.26),
                       corporate_actions=actions) as r:
            xml = await r.md.get_fundamental_data("AAPL")
            assert "<ReportSnapshot" in xml
            with pytest.raises(IbkrError, match="fundamentals ReportsFinStatements of AAPL: IBKR error 430"):
                await r.md.get_fundamental_data("AAPL", "ReportsFinStatements")
            with pytest.raises(IbkrError, match="is not one of ReportSnapshot"):
                await r.md.get_fundamental_data("AAPL", "Everything")
            [div] = await r.md.get_corporate_actions("AAPL")
            assert (div.kind, div.ex_date, div.amount, div.source) == ("cash_dividend", date(2026, 11, 9),
                                                                       Decimal("0.26"), "ibkr")
            assert await r.md.get_corporate_actions("MSFT", wait=0.2) == []

    asyncio.run(main())
    assert [(a.symbol, a.ex_date, a.amount) for a in actions.actions("AAPL")] == [
        ("AAPL", date(2026, 11, 9), Decimal("0.26"))]
