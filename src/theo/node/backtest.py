"""Run a backtest: data in, journal and equity out (the CLI writes the files, see theo.analysis.outputs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.model.series import from_us
from theo.node.batch import has_batch_form, run_batch
from theo.node.data import MarketData
from theo.node.kernel import Engine, Mode, build_engine
from theo.node.records import Journal
from theo.node.stream import run_stream


@dataclass
class BacktestResult:
    """What a backtest produced, ready for the metrics and the report writer."""

    config: TheoConfig
    data: MarketData
    journal: Journal
    path: str  # "broker" (the trade manager and simulated broker) | "batch" | "stream" (the fast books)
    engine: Engine


def run_backtest(config: TheoConfig, data: MarketData, *, fast: bool | None = None,
                 progress: Callable[[int], None] | None = None) -> BacktestResult:
    """Backtest the config's strategies on ``data``; ``fast=None`` uses the batch path when possible."""
    if not config.strategies:
        raise ConfigError("the config has no [[strategies]]; add one (see config/backtest.example.toml)")
    first = min(int(s.start_us[0]) for s in data.series.values())
    engine = build_engine(config, Mode.BACKTEST, start=from_us(first))
    if not engine.strategies:
        raise ConfigError("every strategy in the config is disabled (enabled = false)")
    engine.symbols[:] = list(data.series) + [s for s in engine.symbols if s not in data.series]
    missing = [s for s in engine.symbols if s not in data.series]
    if missing:
        raise ConfigError(f"the strategies trade {', '.join(missing)} but the data has only "
                          f"{', '.join(data.series)}; add --data files for them")
    use_batch = config.engine.backtest.fast_path if fast is None else fast
    use_batch = use_batch and engine.desk is None and all(has_batch_form(s) for s in engine.strategies)
    if use_batch:
        run_batch(engine, data.series, progress)
    else:
        run_stream(engine, data.series, progress)
    path = "broker" if engine.desk is not None else "batch" if use_batch else "stream"
    return BacktestResult(config, data, engine.journal, path, engine)
