"""Parameter sweeps: a grid (or a seeded random sample of it) over one strategy's parameters, run in
parallel processes, ranked by a chosen metric."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from theo.analysis.outputs import build_report
from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.node.backtest import run_backtest
from theo.node.data import MarketData

_DATA: MarketData | None = None


@dataclass
class SweepRun:
    params: dict[str, Any]
    metrics: dict[str, float | int | str]


def parse_values(spec: str) -> tuple[str, list[Any]]:
    """``name=1,2,3`` or ``name=lo:hi:step`` (inclusive) into a name and its values."""
    if "=" not in spec:
        raise ConfigError(f"--grid {spec!r}: write NAME=V1,V2,... or NAME=LO:HI:STEP")
    name, raw = (part.strip() for part in spec.split("=", 1))
    if ":" in raw:
        try:
            lo, hi, step = (float(x) for x in raw.split(":"))
        except ValueError:
            raise ConfigError(f"--grid {spec!r}: LO:HI:STEP must be three numbers") from None
        if step <= 0 or hi < lo:
            raise ConfigError(f"--grid {spec!r}: need LO <= HI and STEP > 0")
        values: list[Any] = [round(v, 10) for v in np.arange(lo, hi + step / 2, step).tolist()]
        if all(float(v).is_integer() for v in values) and all(x.strip().lstrip("-").isdigit()
                                                              for x in raw.split(":")):
            values = [int(v) for v in values]
        return name, values
    out: list[Any] = []
    for item in raw.split(","):
        item = item.strip()
        try:
            out.append(int(item))
        except ValueError:
            try:
                out.append(float(item))
            except ValueError:
                out.append(item)
    return name, out


def combinations(grid: Sequence[tuple[str, list[Any]]], random: int | None, seed: int) -> list[dict[str, Any]]:
    """Every combination of the grid, or ``random`` distinct ones drawn with ``seed``."""
    names = [n for n, _ in grid]
    combos = [dict(zip(names, vals, strict=True)) for vals in itertools.product(*(v for _, v in grid))]
    if random is not None and random < len(combos):
        rng = np.random.default_rng(seed)
        pick = sorted(rng.choice(len(combos), size=random, replace=False).tolist())
        combos = [combos[i] for i in pick]
    return combos


def with_params(config: TheoConfig, strategy: str, params: dict[str, Any]) -> TheoConfig:
    """A copy of ``config`` with ``params`` set on the strategy named ``strategy`` (validated again)."""
    raw = config.model_dump(mode="python")
    names = [s["name"] for s in raw["strategies"]]
    if strategy not in names:
        raise ConfigError(f"--strategy {strategy!r} is not in the config; choose from {', '.join(names)}")
    target = raw["strategies"][names.index(strategy)]
    for key in params:
        if key not in target or key in ("type", "name"):
            raise ConfigError(f"--grid {key}: strategy {strategy!r} has no parameter {key!r}; "
                              f"it has {', '.join(k for k in target if k not in ('type', 'name'))}")
    target.update(params)
    try:
        return TheoConfig.model_validate(raw)
    except Exception as exc:
        raise ConfigError(f"parameters {params} are not valid for {strategy!r}: {exc}") from None


def _init(data: MarketData) -> None:
    global _DATA
    _DATA = data


def _one(args: tuple[TheoConfig, dict[str, Any]]) -> SweepRun:
    config, params = args
    assert _DATA is not None
    try:
        result = run_backtest(config, _DATA)
        return SweepRun(params, build_report(result).metrics)
    except ConfigError as exc:
        return SweepRun(params, {"error": str(exc)})


def run_sweep(config: TheoConfig, data: MarketData, strategy: str, combos: list[dict[str, Any]],
              metric: str, jobs: int) -> list[SweepRun]:
    """Backtest every parameter set (``jobs`` processes); best ``metric`` first, ties in grid order."""
    tasks = [(with_params(config, strategy, p), p) for p in combos]
    if jobs <= 1:
        _init(data)
        runs = [_one(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(data,)) as pool:
            runs = list(pool.map(_one, tasks))
    ok = [r for r in runs if metric in r.metrics]
    if runs and not ok:
        raise ConfigError(f"--metric {metric!r} is not a metric; use one of sharpe, sortino, total_return, "
                          f"calmar, profit_factor, win_rate, expectancy, max_drawdown")

    def key(item: tuple[int, SweepRun]) -> tuple[float, int]:
        value = item[1].metrics.get(metric, float("-inf"))
        num = float(value) if isinstance(value, int | float) else float("-inf")
        return (-num, item[0])

    return [r for _, r in sorted(enumerate(runs), key=key)]
