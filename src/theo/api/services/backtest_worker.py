"""The process that runs one dashboard backtest: the code of ``theo backtest``, reporting progress on a pipe.

It runs in its own (spawned) process, so the engine's timing and the API's threads never share the GIL with it
and a crash ends only the backtest. It loads the data the parameters name, runs :func:`run_backtest`, writes the
output folder of ``theo backtest`` (``metrics.json``, ``deals.csv``, ...) plus ``equity.json`` (the curve for the
dashboard's chart) into ``out_dir``, and sends ``("progress", 0..1)``, then ``("done", metrics)`` or
``("error", text)``.
"""

from __future__ import annotations

import json
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from theo.config import TheoConfig
from theo.core.errors import TheoError
from theo.node.data import MarketData, symbol_of
from theo.node.synthetic_data import strategy_symbols

#: Most points ``equity.json`` keeps (the curve is thinned evenly, its last point kept).
MAX_POINTS = 2000


def load_market(config: TheoConfig, source: str, start: date | None, end: date | None, timeframe: str,
                db_url: str) -> MarketData:
    """The data of a backtest from ``source``: files, database or synthetic (see ``theo.api.services.backtests``)."""
    if source in ("files", "database"):
        from theo.node.data import load_database, load_files
        from theo.persistence.repositories import connect
        from theo.persistence.repositories.bars import BarRepository
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository

        store = connect(db_url)
        try:
            files = list(config.engine.backtest.data)
            symbols = [f.symbol or symbol_of(f.path) for f in files] if source == "files" else strategy_symbols(config)
            repo = CorporateActionRepository(store)
            actions = {s: repo.actions(s) for s in symbols}  # prices are adjusted as [marketdata] adjust says
            if source == "files":
                return load_files(files, start, end, config, actions)
            return load_database(BarRepository(store), symbols, timeframe, start, end, config, actions,
                                 history=repo)
        finally:
            store.dispose()
    from theo.node.synthetic_data import load_synthetic

    if start is None or end is None:
        raise ValueError("a synthetic backtest needs its first and last date")
    return load_synthetic(config, strategy_symbols(config), start, end)


def equity_points(ts_us: Any, equity: Any, drawdown: Any) -> list[dict[str, Any]]:
    """The curve as ``{t (epoch seconds), equity (USD string), drawdown (fraction, <= 0)}``, thinned."""
    n = len(ts_us)
    step = max(1, -(-n // MAX_POINTS))
    idx = list(range(0, n, step))
    if n and idx[-1] != n - 1:
        idx.append(n - 1)
    return [{"t": int(ts_us[i]) // 1_000_000, "equity": f"{float(equity[i]):.2f}",
             "drawdown": round(float(drawdown[i]), 6)} for i in idx]


def run_job(config: TheoConfig, params: dict[str, Any], out_dir: str, db_url: str, conn: Connection) -> None:
    """Entry point of the backtest process (see the module docstring); ``db_url`` is the API's store (bars)."""
    try:
        conn.send(("done", _run(config, params, Path(out_dir), db_url, conn)))
    except TheoError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # the process must report every failure; the parent records it as the error text
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _run(config: TheoConfig, params: dict[str, Any], folder: Path, db_url: str, conn: Connection
         ) -> dict[str, Any]:
    from theo.analysis.outputs import write_outputs
    from theo.config.loader import redact
    from theo.node.backtest import run_backtest

    start = date.fromisoformat(params["from"]) if params.get("from") else None
    end = date.fromisoformat(params["to"]) if params.get("to") else None
    conn.send(("progress", 0.02))
    market = load_market(config, params["source"], start, end, params.get("timeframe", "1m"), db_url)
    conn.send(("progress", 0.1))
    sent = [0.1]

    def replayed(done: int, total: int) -> None:
        value = round(0.1 + 0.8 * done / max(total, 1), 3)
        if value - sent[0] >= 0.01:
            sent[0] = value
            conn.send(("progress", value))

    result = run_backtest(config, market, progress=replayed)
    conn.send(("progress", 0.9))
    title = f"{', '.join(s.name for s in config.strategies)} on {', '.join(market.symbols)}"
    report = write_outputs(result, folder, title=title)
    curve = report.curve
    points = equity_points(curve.ts_us, curve.equity, curve.drawdown) if len(curve.ts_us) else []
    (folder / "equity.json").write_text(json.dumps({"points": points}, separators=(",", ":")), encoding="utf-8")
    metrics: dict[str, Any] = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return {"metrics": metrics, "notes": [redact(n) for n in result.notes], "symbols": market.symbols}
