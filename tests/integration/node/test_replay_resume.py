"""A paper replay whose data ends before the account's resume point stops with a message, not a calendar error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import shared_file
from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.node.config import DataFile
from theo.node.paper import PaperRun

CONFIG = {"strategies": [{"type": "zscore_reversion", "name": "z", "symbols": ["SPY"], "timeframe": "1m",
                          "lookback": 30}]}


def test_a_replay_ending_before_the_accounts_time_says_there_is_nothing_to_replay(sqlite_engine: Engine,
                                                                                  tmp_path: Path) -> None:
    cfg = TheoConfig.model_validate({**CONFIG, "app": {"data_dir": str(tmp_path)}})
    minutes = [DataFile(path=shared_file("eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz"))]
    assert asyncio.run(PaperRun(cfg, sqlite_engine, replay=minutes, speed=None).run()) == "completed"
    assert asyncio.run(PaperRun(cfg, sqlite_engine, replay=minutes, speed=None).run()) == "completed"  # caught up
    earlier = [DataFile(path=shared_file("lean/SPY_1min_2013-10-04_2013-10-11.csv.gz"))]  # six years before
    with pytest.raises(ConfigError, match=r"nothing to replay: the data ends before 2019-02-15 15:59:00 EST"):
        asyncio.run(PaperRun(cfg, sqlite_engine, replay=earlier, speed=None).run())
