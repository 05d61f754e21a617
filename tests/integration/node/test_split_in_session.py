"""A paper run that crosses a stored 2-for-1 split keeps its indicators continuous: from the ex-date on, its
indicator values and signals are those of a run on the backward-adjusted history (a start after the split).

The replayed 5-minute bars are raw (the old basis before the ex-date, as a feed delivers them); the other run
replays the same bars adjusted as ``theo.data.adjust`` adjusts them, with no split left to apply.
"""

from __future__ import annotations

import asyncio
import csv
import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from theo.config import TheoConfig
from theo.core.calendar import ET
from theo.model.enums import CorporateActionKind
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.model.signals import Signal
from theo.node.config import DataFile
from theo.node.paper import PaperRun
from theo.node.status import live_view
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.corporate_actions import CorporateActionRepository
from theo.strategy.library.correlation import CorrelationStrategy

DAYS = [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]
EX_DATE = date(2024, 3, 6)
FACTOR = 0.5  # 2-for-1: float(1 / Fraction(2)), the factor backward adjustment multiplies earlier prices by
EX_START = datetime(2024, 3, 6, 9, 30, tzinfo=ET)

CONFIG: dict[str, Any] = {"strategies": [
    {"type": "correlation", "name": "corr", "primary": "AAA", "correlated": [{"symbol": "BBB", "confirm": "same"}],
     "timeframe": "5m", "correlation": {"window": 20, "min_points": 5, "threshold": 0.0},
     "quality": {"max_settlement_deviation_pct": 20.0},
     "stop": "atr", "atr_period": 5, "entry_rules": ["donchian_upper(10) > 0 and BBB.atr(5) > 0"],
     "swing_left": 2, "swing_right": 2},
    {"type": "donchian_breakout", "name": "don", "symbols": ["AAA", "BBB"], "timeframe": "5m",
     "entry_period": 10, "exit_period": 5},
    {"type": "zscore_reversion", "name": "z", "symbols": ["AAA"], "timeframe": "5m", "lookback": 20,
     "entry_z": 1.5, "exit_z": 0.3},
]}


def _bars(start: float, seed: int, split: bool) -> list[tuple[datetime, float, float, float, float, float]]:
    """Raw 5-minute bars of the regular sessions of DAYS (with ``split``: half the price from EX_DATE on)."""
    rng = random.Random(seed)
    price = start
    out = []
    for day in DAYS:
        if split and day == EX_DATE:
            price *= FACTOR  # the split: the stock trades at half the price
        t = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ET)
        for _ in range(78):
            o = price
            c = max(1.0, o + rng.gauss(0, 0.004 * o))
            h = max(o, c) + abs(rng.gauss(0, 0.002 * o))
            lo = min(o, c) - abs(rng.gauss(0, 0.002 * o))
            out.append((t, round(o, 2), round(h, 2), round(lo, 2), round(c, 2), float(rng.randint(1000, 9000))))
            price = c
            t += timedelta(minutes=5)
    return out


def _write(path: Path, rows: list[tuple[datetime, float, float, float, float, float]], adjusted: bool) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ts", "open", "high", "low", "close", "volume"])
        for t, o, h, lo, c, v in rows:
            k = FACTOR if adjusted and t.date() < EX_DATE else 1.0
            w.writerow([t.isoformat(), repr(o * k), repr(h * k), repr(lo * k), repr(c * k), repr(v / k)])
    return path


def _run(tmp: Path, adjusted: bool, db: Engine) -> tuple[list[tuple[datetime, dict[str, float | None]]],
                                                        list[Signal], PaperRun]:
    if not adjusted:
        CorporateActionRepository(db).save_actions([CorporateAction("AAA", CorporateActionKind.SPLIT, EX_DATE,
                                                                    ratio=Decimal(2), source="csv")])
    files = [DataFile(path=_write(tmp / f"AAA_5min_{adjusted}.csv", _bars(200.0, 1, True), adjusted), symbol="AAA"),
             DataFile(path=_write(tmp / f"BBB_5min_{adjusted}.csv", _bars(80.0, 2, False), False), symbol="BBB")]
    cfg = TheoConfig.model_validate({**CONFIG, "app": {"data_dir": str(tmp / f"data-{adjusted}")}})
    run = PaperRun(cfg, db, replay=files, speed=None)
    strategy = run.node.strategies[0]
    assert isinstance(strategy, CorrelationStrategy)
    seen: list[tuple[datetime, dict[str, float | None]]] = []
    on_bar = strategy.on_bar

    def record(bar: Bar) -> Any:
        out = on_bar(bar)
        if strategy.last_evaluated is not None and (not seen or seen[-1][0] != strategy.last_evaluated):
            seen.append((strategy.last_evaluated, dict(strategy.values)))
        return out

    strategy.on_bar = record  # type: ignore[method-assign]
    assert asyncio.run(run.run()) == "completed"
    return seen, [o.signal for o in run.node.signals.outcomes()], run


def _from_ex_date(values: list[tuple[datetime, dict[str, float | None]]]) -> list[tuple[datetime, dict[str, Any]]]:
    return [(t, v) for t, v in values if t > EX_START]


def _signals(signals: list[Signal]) -> list[tuple[Any, ...]]:
    return [(s.strategy, s.symbol, s.side, s.ts, s.price, s.stop_loss, s.take_profit, s.exit, s.reason,
             tuple(sorted((k, v) for k, v in s.inputs.items() if k != "quality")))
            for s in signals if s.ts > EX_START]


def test_a_run_crossing_a_split_holds_what_a_start_on_adjusted_history_holds(tmp_path: Path) -> None:
    raw_db = make_engine(f"sqlite:///{tmp_path / 'raw.db'}")
    adj_db = make_engine(f"sqlite:///{tmp_path / 'adj.db'}")
    upgrade(raw_db)
    upgrade(adj_db)
    try:
        crossing, crossing_signals, run = _run(tmp_path, False, raw_db)
        fresh, fresh_signals, _ = _run(tmp_path, True, adj_db)
    finally:
        raw_db.dispose()
        adj_db.dispose()
    after, expected = _from_ex_date(crossing), _from_ex_date(fresh)
    assert len(after) == len(expected) == 2 * 78
    first_t, first = after[0]
    assert first_t == EX_START + timedelta(minutes=5)
    for key in ("atr(5)", "donchian_upper(10)", "BBB.atr(5)", "sh", "sl", "corr"):
        value = first[key]
        assert value is not None, key
        assert math.isfinite(value), key
    assert after == expected  # 2:1 is a power of two: the rescaled windows equal the adjusted ones bit for bit
    assert _signals(crossing_signals) == _signals(fresh_signals)
    assert any(s.symbol == "AAA" for s in crossing_signals if s.ts > EX_START)
    assert run.counters()["splits_applied"] == ["AAA 2024-03-06 x0.5"]
    console = Console(record=True, width=160)
    console.print(live_view(run))
    assert "splits applied  AAA 2024-03-06 x0.5" in console.export_text()
