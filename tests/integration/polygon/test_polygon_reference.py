"""`theo data actions fetch --source polygon`: splits and dividends through the real ``massive`` client from
the fake's ``/v3/reference`` endpoints (paginated), mapped to corporate actions and stored once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.fakes.polygon.rest import RestSide
from tests.integration.polygon.test_polygon_download_cli import cells, rest, theo  # noqa: F401  (fixture `rest`)
from theo.model.enums import CorporateActionKind as K
from theo.persistence.repositories import connect
from theo.persistence.repositories.corporate_actions import CorporateActionRepository

SPLITS = [
    {"id": 1, "ticker": "AAPL", "execution_date": "2014-06-09", "split_from": 1, "split_to": 7},
    {"id": 2, "ticker": "AAPL", "execution_date": "2020-08-31", "split_from": 1, "split_to": 4},
    {"id": 3, "ticker": "VXX", "execution_date": "2017-08-23", "split_from": 4, "split_to": 1},
    {"id": 4, "ticker": "AAPL", "execution_date": "2005-02-28", "split_from": 1, "split_to": 0},  # impossible
]
DIVIDENDS = [
    {"id": 10 + i, "ticker": "AAPL", "cash_amount": 0.47, "currency": "USD", "dividend_type": "CD",
     "ex_dividend_date": f"2014-{m:02d}-07", "pay_date": f"2014-{m:02d}-14", "frequency": 4}
    for i, m in enumerate((2, 5, 8, 11))
]


def test_fetch_maps_splits_reverse_splits_and_dividends_and_stores_them_once(
        tmp_path: Path, rest: RestSide) -> None:  # noqa: F811
    rest.state.splits = SPLITS
    rest.state.dividends = DIVIDENDS
    rest.state.page_size = 2  # several pages: the client follows next_url
    r = theo(tmp_path, rest.url, "data", "actions", "fetch", "AAPL", "VXX", "--source", "polygon")
    assert r.exit_code == 0, r.output
    out = cells(r.stdout)
    assert "AAPL: 6 action(s) from polygon (cash_dividend, split); 6 new or changed" in out
    assert "VXX: 1 action(s) from polygon (reverse_split); 1 new or changed" in out
    again = theo(tmp_path, rest.url, "data", "actions", "fetch", "AAPL", "--source", "polygon", "--from",
                 "2014-06-01")
    assert "AAPL: 4 action(s) from polygon (cash_dividend, split); 0 new or changed" in cells(again.stdout)
    paths = [q.path for q in rest.state.requests]
    assert paths.count("/v3/reference/splits") >= 3
    assert {q.query.get("ticker") for q in rest.state.requests if "cursor" not in q.query} == {"AAPL", "VXX"}
    repo = CorporateActionRepository(connect(f"sqlite:///{tmp_path / 'var' / 'theo.db'}"))
    aapl = repo.actions("AAPL")
    assert [(a.kind, a.ex_date, a.ratio, a.amount) for a in aapl if a.kind is K.SPLIT] == [
        (K.SPLIT, date(2014, 6, 9), Decimal(7), None), (K.SPLIT, date(2020, 8, 31), Decimal(4), None)]
    div = next(a for a in aapl if a.kind is K.CASH_DIVIDEND)
    assert (div.ex_date, div.amount, div.pay_date, div.source, div.note) == (
        date(2014, 2, 7), Decimal("0.47"), date(2014, 2, 14), "polygon", "regular cash, 4 a year")
    [vxx] = repo.actions("VXX")
    assert (vxx.kind, vxx.ratio, vxx.note) == (K.REVERSE_SPLIT, Decimal("0.25"), "1-for-4")


def test_a_refused_key_names_the_variable_not_the_key(tmp_path: Path, rest: RestSide) -> None:  # noqa: F811
    r = theo(tmp_path, rest.url, "data", "actions", "fetch", "AAPL", key="wrong-key-123")
    assert r.exit_code == 2
    text = " ".join(r.output.split())
    assert "Polygon splits of AAPL: the API key from $" in text
    assert "wrong-key-123" not in text
