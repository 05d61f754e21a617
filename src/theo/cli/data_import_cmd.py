"""`theo data import`: load tick, quote and bar files into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_repositories
from theo.cli.progress import progress_bar
from theo.core.errors import ImportFileError


def register(app: typer.Typer) -> None:
    """Add `theo data import` to the `theo data` sub-app."""
    app.command("import")(import_files)


@friendly_errors
def import_files(
    files: Annotated[list[Path], typer.Argument(help="CSV, CSV.GZ or Parquet files (ticks, quotes or bars)",
                                                metavar="FILE",
                                                show_default=False)],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="instrument symbol the rows belong to",
                                        show_default=False)],
    tz: Annotated[str | None, typer.Option("--tz", help="IANA timezone of ts values without a UTC offset")] = None,
    timeframe: Annotated[str | None, typer.Option("--timeframe", help="bar timeframe (1s, 1m, 15m, 1h, 1d); "
                                                  "default: from the file name or the bar spacing")] = None,
    config: ConfigOption = None,
) -> None:
    """Import market-data files; bad rows go to the quarantine with their reason."""
    from theo.data.importer import ImportSummary, import_file

    missing = [f for f in files if not f.is_file()]
    if missing:
        raise ImportFileError(f"{missing[0]}: no such file; check the path (nothing was imported)")
    cfg = get_config(config)
    repos = open_repositories(cfg)
    summaries: list[ImportSummary] = []
    try:
        for f in files:
            with progress_bar(f"reading {f.name}") as bar:
                def report(stage: str, done: int, total: int | None, name: str = f.name) -> None:
                    if stage == "storing" and done == 0:
                        bar.restart(f"storing {name}", total)
                    else:
                        bar.update(done, total)

                summaries.append(import_file(repos.market_data, f, symbol, tz=tz, timeframe=timeframe,
                                             progress=report, limits=cfg.marketdata.validation))
    finally:
        repos.close()
    table = Table(title=f"import of {symbol.upper()}")
    for col in ("file", "kind", "read", "imported", "already present", "rejected"):
        table.add_column(col, justify="left" if col in ("file", "kind") else "right")
    for s in summaries:
        kind = f"{s.kind} {s.timeframe}" if s.timeframe else s.kind
        table.add_row(s.path.name, kind, f"{s.rows_read:,}", f"{s.imported:,}", f"{s.already_present:,}",
                      f"{s.rejected_total:,}")
    console.print(table)
    reasons: dict[str, int] = {}
    for s in summaries:
        for reason, n in s.rejected.items():
            reasons[reason] = reasons.get(reason, 0) + n
    if reasons:
        rt = Table(title="rejected rows (kept in the quarantine table)")
        rt.add_column("reason")
        rt.add_column("rows", justify="right")
        for reason, n in sorted(reasons.items()):
            rt.add_row(reason, f"{n:,}")
        console.print(rt)
