"""The corporate-actions CSV: every kind, the ways a trader writes a ratio, and errors naming line/field/value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from theo.core.errors import DataError, ImportFileError
from theo.data.actions_csv import read_actions_csv
from theo.model.enums import CorporateActionKind as K


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "actions.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_every_kind_and_every_ratio_spelling(tmp_path: Path) -> None:
    p = _write(tmp_path, "Symbol,Kind,Ex_Date,Ratio,Amount,Pay_Date,New_Symbol,Note\n"
                         "AAPL,split,2014-06-09,7:1,,,,seven for one\n"
                         "VXX,reverse split,2017-08-23,1-for-4,,,,\n"
                         "IWM,split,2005-06-09,2,,,,\n"
                         "AAPL,dividend,2014-08-07,,0.47,2014-08-14,,\n"
                         "XYZ,stock_dividend,2020-01-02,0.05,,,,\n"
                         "FB,symbol_change,2022-06-09,,,,META,\n"
                         "\n")
    got = read_actions_csv(p)
    assert [(a.symbol, a.kind, a.ratio, a.amount, a.new_symbol) for a in got] == [
        ("AAPL", K.SPLIT, Decimal(7), None, None),
        ("VXX", K.REVERSE_SPLIT, Decimal("0.25"), None, None),
        ("IWM", K.SPLIT, Decimal(2), None, None),
        ("AAPL", K.CASH_DIVIDEND, None, Decimal("0.47"), None),
        ("XYZ", K.STOCK_DIVIDEND, Decimal("0.05"), None, None),
        ("FB", K.SYMBOL_CHANGE, None, None, "META")]
    assert got[0].note == "seven for one"
    assert got[3].pay_date == date(2014, 8, 14)
    assert {a.source for a in got} == {"csv"}


def test_every_bad_row_is_named_and_nothing_is_kept(tmp_path: Path) -> None:
    p = _write(tmp_path, "symbol,kind,ex_date,ratio,amount\n"
                         "AAPL,split,2014-06-09,7:1,\n"
                         "AAPL,split,2014-06-31,7:1,\n"
                         "AAPL,splat,2014-06-09,7,\n"
                         "AAPL,dividend,2014-08-07,,-1\n"
                         "AAPL,split,2014-06-09,7:1,\n")
    with pytest.raises(DataError) as err:
        read_actions_csv(p)
    text = str(err.value)
    assert "4 bad row(s), nothing imported" in text
    assert f"{p}:3: ex_date='2014-06-31': expected a date YYYY-MM-DD" in text
    assert f"{p}:4: kind='splat': expected one of split, reverse_split" in text
    assert f"{p}:5: amount='-1': expected a positive number" in text
    assert f"{p}:6: split of AAPL on 2014-06-09 from csv is already on line 2" in text


def test_a_file_without_the_required_columns_is_refused_with_the_header(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"the header lacks kind, ex_date \(it has symbol, date\)"):
        read_actions_csv(_write(tmp_path, "symbol,date\nAAPL,2014-06-09\n"))
    with pytest.raises(ImportFileError, match="unknown column"):
        read_actions_csv(_write(tmp_path, "symbol,kind,ex_date,factor\nAAPL,split,2014-06-09,7\n"))
    with pytest.raises(ImportFileError, match="no such file"):
        read_actions_csv(tmp_path / "missing.csv")
