"""Backtests from the dashboard: start one of the configuration (with overrides) in a background process, follow
its progress, read its metrics, equity curve and deals, and compare two runs.

Data (``source``): ``files`` reads ``[engine.backtest] data``; ``database`` reads stored bars (``timeframe``,
default 1m) of the strategies' symbols; ``synthetic`` generates the seeded synthetic market's prints (what
``theo run`` trades; ``theo backtest --synthetic`` does the same). ``auto`` (the default) takes files when the
config lists some, else the synthetic market when it has every symbol the strategies trade, else stored bars.
Without dates a synthetic backtest runs the first session of ``[engine] synthetic_start`` (a few seconds).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from theo.api.services import config_file
from theo.api.services.backtest_models import BacktestItem, BacktestStart, item_of
from theo.api.services.backtest_runner import runner_of
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid, NotFound
from theo.config import TheoConfig
from theo.persistence.repositories.backtests import BacktestRun, BacktestRunRepository

Source = Literal["auto", "files", "database", "synthetic"]


class Started(BaseModel):
    id: int
    status: str = "running"


def _date(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{field} {value!r} is not a date; write YYYY-MM-DD", field=field) from None


def _with_overrides(base: TheoConfig, body: BacktestStart) -> TheoConfig:
    """The configuration with the request's strategy overrides and symbol filter, validated as the file is."""
    data = base.model_dump()
    strategies: list[dict[str, Any]] = data["strategies"]
    names = {s["name"]: i for i, s in enumerate(strategies)}
    for key, values in (body.strategies or {}).items():
        i = names.get(key, int(key) if key.isdigit() else -1)
        if not 0 <= i < len(strategies):
            raise Invalid(f"strategies: no strategy {key!r} (names: {', '.join(names) or 'none'})",
                          field=f"strategies.{key}")
        if not isinstance(values, dict):
            raise Invalid(f"strategies.{key}: expected a table of values", field=f"strategies.{key}")
        strategies[i] = config_file.merged(strategies[i], values)
    if body.symbols:
        wanted = set(body.symbols)
        for s in strategies:
            symbols = set(_symbols(s))
            if not symbols & wanted:
                s["enabled"] = False
            elif s.get("type") == "donchian_breakout":
                s["symbols"] = [x for x in s["symbols"] if x in wanted]
            elif not symbols <= wanted:
                s["enabled"] = False
        if not any(s.get("enabled", True) for s in strategies):
            raise Invalid(f"symbols {', '.join(body.symbols)}: no enabled strategy trades only these symbols",
                          field="symbols")
    try:
        return TheoConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if p not in ("correlation", "donchian_breakout",
                                                                "zscore_reversion") or p == err["loc"][-1])
        raise Invalid(f"{loc}: {str(err['msg']).removeprefix('Value error, ')}", field=loc) from None


def _symbols(s: dict[str, Any]) -> list[str]:
    if "symbols" in s:
        return list(s["symbols"])
    return [s["primary"], *(c["symbol"] for c in s.get("correlated", []))]


def resolve_source(cfg: TheoConfig, source: str) -> str:
    """``auto`` made concrete (see the module docstring)."""
    if source != "auto":
        return source
    if cfg.engine.backtest.data:
        return "files"
    from theo.node.synthetic_data import strategy_symbols

    synthetic = {i.symbol.upper() for i in cfg.marketdata.synthetic.instruments}
    return "synthetic" if set(strategy_symbols(cfg)) <= synthetic else "database"


def _range(cfg: TheoConfig, source: str, start: date | None, end: date | None) -> tuple[date | None, date | None]:
    from theo.node.synthetic_data import MAX_SYNTHETIC_DAYS, synthetic_range

    if source != "synthetic":
        start, end = start or cfg.engine.backtest.start, end or cfg.engine.backtest.end
    else:
        if end is not None and start is not None and end < start:
            raise Invalid(f"to {end} is before from {start}", field="to")
        start, end = synthetic_range(cfg, start, end)
        if (end - start).days + 1 > MAX_SYNTHETIC_DAYS:
            raise Invalid(f"to: the synthetic market backtests at most {MAX_SYNTHETIC_DAYS} days at a time; "
                          f"{start}..{end} is {(end - start).days + 1} days", field="to")
    if start is not None and end is not None and end < start:
        raise Invalid(f"to {end} is before from {start}", field="to")
    return start, end


def start_backtest(ctx: ServiceContext, actor: Actor, body: BacktestStart) -> Started:
    """Validate the request, then start the backtest in a background process (409 beyond the limit)."""
    actor.require(Role.TRADER, "starting a backtest")
    start, end = _date(body.from_, "from"), _date(body.to, "to")
    cfg = _with_overrides(config_file.file_config(ctx), body)
    if not cfg.strategies or not any(s.enabled for s in cfg.strategies):
        raise Invalid("the configuration has no enabled [[strategies]] to backtest; add one", field="strategies")
    source = resolve_source(cfg, body.source)
    if source == "files" and not cfg.engine.backtest.data:
        raise Invalid("source files: the configuration lists no [engine.backtest] data files", field="source")
    start, end = _range(cfg, source, start, end)
    params = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
              "source": source, "timeframe": body.timeframe, "symbols": body.symbols or [],
              "strategies": body.strategies or {}}
    name = body.name or f"{', '.join(s.name for s in cfg.strategies if s.enabled)} {params['from'] or ''}" \
                        f"..{params['to'] or ''}"
    run_id = runner_of(ctx.store, ctx.events, ctx.extras).start(actor.name, name[:200], params, cfg)
    return Started(id=run_id)


def _get(ctx: ServiceContext, run_id: int) -> BacktestRun:
    runner_of(ctx.store, ctx.events, ctx.extras)  # made once: runs left going by a stopped process are failed
    run = BacktestRunRepository(ctx.store).get(run_id)
    if run is None:
        raise NotFound(f"no backtest {run_id}")
    return run


def get_backtest(ctx: ServiceContext, actor: Actor, run_id: int) -> BacktestItem:
    actor.require(Role.VIEWER, "reading backtests")
    return item_of(_get(ctx, run_id))


class BacktestList(BaseModel):
    items: list[BacktestItem]
    total: int
    running: list[int] = Field(description="ids of the runs this process is running now")


def list_backtests(ctx: ServiceContext, actor: Actor, limit: int = 100, offset: int = 0) -> BacktestList:
    actor.require(Role.VIEWER, "reading backtests")
    running = runner_of(ctx.store, ctx.events, ctx.extras).running()
    runs, total = BacktestRunRepository(ctx.store).page(limit, offset)
    return BacktestList(items=[item_of(r) for r in runs], total=total, running=running)


def finished(ctx: ServiceContext, run_id: int) -> BacktestRun:
    """Run ``run_id`` when it completed (its output folder is written), else 409/404."""
    from theo.api.services.errors import Conflict

    run = _get(ctx, run_id)
    if run.status != "completed":
        raise Conflict(f"backtest {run_id} is {run.status}; its results exist once it has completed")
    return run
