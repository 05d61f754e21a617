"""The SPY tick file, read once per test worker (it takes seconds to parse)."""

from __future__ import annotations

import pytest

from tests.conftest import shared_file
from theo.data.files import TickColumns, read_market_file


@pytest.fixture(scope="session")
def spy_cols() -> TickColumns:
    cols = read_market_file(shared_file("lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz"), "SPY").ticks
    assert cols is not None
    return cols
