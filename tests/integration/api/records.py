"""A store with trading records made by the real trade manager, order service and journal (for the API tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.unit.execution.helpers import T0, make_rig
from tests.unit.trading.rig import TradingRig, make_manager, signal
from theo.api.services.context import Actor, Role, ServiceContext
from theo.config import TheoConfig
from theo.model.enums import Side
from theo.persistence.db import make_engine, upgrade
from theo.risk.config import RiskConfig

VIEWER = Actor("viewer", Role.VIEWER, "test")


class Events:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.sent.append((kind, data))


@dataclass
class Records:
    config_path: Path
    engine: Engine
    ctx: ServiceContext


def context(engine: Engine, data_dir: Path, config_path: Path | None = None) -> ServiceContext:
    config = TheoConfig.model_validate({"app": {"data_dir": str(data_dir)}})
    return ServiceContext(config=config, store=engine, events=Events(), config_path=config_path)


def trading_records(tmp_path: Path) -> Records:
    """Mon 2019-02-11: s1 long SPY stopped out at 98 (entry 100), s2 short SPY at its 98 target; Tue: s1 long
    SPY running from 99. Trades of 100 units each (the manager's default sizing)."""
    data = tmp_path / "var"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    upgrade(engine)
    rig = make_rig(data, engine=engine, state_file="sim.db")
    r = TradingRig(rig, make_manager(rig, RiskConfig()))
    s = lambda n: T0 + timedelta(seconds=n)  # noqa: E731
    r.tick(s(0), 100.0)
    r.manager.open_trade(signal(s(0), 100.0, stop=99.0, target=103.0))
    r.manager.open_trade(signal(s(0), 100.0, Side.SELL, stop=101.0, target=98.0, strategy="s2"))
    r.tick(s(1), 100.0)
    r.tick(s(2), 98.0)
    day2 = T0 + timedelta(days=1)
    r.tick(day2, 99.0)
    r.manager.open_trade(signal(day2, 99.0, stop=98.0, target=102.0))
    r.tick(day2 + timedelta(seconds=1), 99.0)
    rig.service.stop()
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return Records(config, engine, context(engine, data, config))
