"""`theo data actions fetch --source ibkr`: the next announced dividend from the fake TWS into the store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.fakes.tws import running_fake
from tests.fakes.tws.dividends import set_dividends
from tests.integration.ibkr.test_data_cli import cells, theo
from theo.model.enums import CorporateActionKind
from theo.persistence.repositories import connect
from theo.persistence.repositories.corporate_actions import CorporateActionRepository


def test_fetch_saves_ibkr_dividends_once_and_lists_them(tmp_path: Path) -> None:
    with running_fake() as fake:
        set_dividends(fake, "AAPL", 0.96, 1.04, "20261109", 0.26)
        first = theo(tmp_path, fake.port, "data", "actions", "fetch", "AAPL", "MSFT", "--source", "ibkr")
        again = theo(tmp_path, fake.port, "data", "actions", "fetch", "AAPL", "--source", "ibkr")
    assert first.exit_code == 0, first.output
    out = cells(first.stdout)
    assert "AAPL: 1 action(s) from ibkr (cash_dividend); 1 new or changed" in out
    assert "MSFT: 0 action(s) from ibkr (nothing); 0 new or changed" in out
    assert "AAPL: 1 action(s) from ibkr (cash_dividend); 0 new or changed" in cells(again.stdout)
    [div] = CorporateActionRepository(connect(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")).actions("AAPL")
    assert (div.kind, div.ex_date, div.amount, div.source) == (
        CorporateActionKind.CASH_DIVIDEND, date(2026, 11, 9), Decimal("0.26"), "ibkr")
    listed = theo(tmp_path, 1, "data", "actions", "list", "AAPL")
    assert "2026-11-09 cash_dividend 0.26 USD/share" in cells(listed.stdout)


def test_an_unknown_source_is_named(tmp_path: Path) -> None:
    r = theo(tmp_path, 1, "data", "actions", "fetch", "AAPL", "--source", "yahoo")
    assert r.exit_code == 2
    assert "--source 'yahoo' is unknown; use polygon or ibkr" in r.output
