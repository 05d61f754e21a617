"""Build a strategy object from its configuration section (the ``type`` key picks the class)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from theo.core.errors import ConfigError
from theo.strategy.base import Strategy
from theo.strategy.config import (
    CorrelationStrategyConfig,
    DonchianBreakoutConfig,
    StrategyConfig,
    ZScoreReversionConfig,
)


def build_strategy(config: StrategyConfig) -> Strategy:
    """Return the strategy object that ``config`` describes."""
    if isinstance(config, DonchianBreakoutConfig):
        from theo.strategy.library.donchian import DonchianBreakout

        return DonchianBreakout(config)
    if isinstance(config, ZScoreReversionConfig):
        from theo.strategy.library.zscore import ZScoreReversion

        return ZScoreReversion(config)
    if isinstance(config, CorrelationStrategyConfig):
        try:
            module = importlib.import_module("theo.strategy.library.correlation")
        except ImportError as exc:
            raise ConfigError(f"strategy {config.name!r}: the correlation strategy is not available in this "
                              f"build ({exc}); use type = \"donchian_breakout\" or \"zscore_reversion\"") from exc
        strategy: Strategy = module.CorrelationStrategy(config)
        return strategy
    raise ConfigError(f"strategy {getattr(config, 'name', '?')!r}: unknown type {getattr(config, 'type', '?')!r}")


def build_strategies(configs: Sequence[StrategyConfig],
                     build: Callable[[StrategyConfig], Strategy] | None = None) -> list[Strategy]:
    """The enabled strategies of a config file, in file order; names must be unique. ``build`` makes one
    strategy (default :func:`build_strategy`)."""
    seen: set[str] = set()
    out: list[Strategy] = []
    for cfg in configs:
        if cfg.name in seen:
            raise ConfigError(f"[[strategies]] name {cfg.name!r} is used twice; give each strategy its own name")
        seen.add(cfg.name)
        if cfg.enabled:
            out.append((build or build_strategy)(cfg))
    return out
