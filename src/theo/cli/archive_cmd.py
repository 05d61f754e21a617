"""`theo archive` commands: move old ticks to write-once Parquet, verify the archive, restore a range."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_store
from theo.cli.progress import progress_bar
from theo.config import TheoConfig
from theo.core.clock import LiveClock
from theo.core.time import exchange_time
from theo.model.symbols import parse_symbol

if TYPE_CHECKING:
    from theo.persistence.archive import Archiver

archive_app = typer.Typer(help="Cold archive of old ticks: write-once Parquet files with a SHA-256 manifest.",
                          no_args_is_help=True)


def _date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def _archiver(config: TheoConfig) -> Archiver:
    from theo.persistence.archive import Archiver

    directory = config.archive.resolve_directory(config.app.data_dir)
    return Archiver(open_store(config), directory, compression=config.archive.compression)


@archive_app.command("run")
@friendly_errors
def run_cmd(
    older_than: Annotated[str | None, typer.Option("--older-than", help="Archive ticks older than this age "
                                                   "(30d, 12h, 2w); default from [archive] older_than")] = None,
    before: Annotated[str | None, typer.Option("--before", help="Archive ticks before this New York date "
                                               "(YYYY-MM-DD) instead of an age")] = None,
    config: ConfigOption = None,
) -> None:
    """Move ticks older than the cutoff into Parquet files; rows leave the database once verified."""
    from theo.persistence.archive import cutoff_for, et_midnight, parse_age

    cfg = get_config(config)
    if before is not None and older_than is not None:
        raise typer.BadParameter("give either --older-than or --before, not both", param_hint="--before")
    if before is not None:
        cutoff = et_midnight(_date("--before", before))
    else:
        try:
            age = parse_age(older_than or cfg.archive.older_than)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--older-than") from None
        cutoff = cutoff_for(LiveClock().now(), age)
    archiver = _archiver(cfg)
    with progress_bar("archiving ticks") as bar:
        report = archiver.run(cutoff, progress=lambda done, total: bar.update(done, total))
    console.print(f"archive {archiver.directory}: ticks before {exchange_time(cutoff)}", highlight=False)
    console.print(f"  files written {report.files_written:,}, rows archived {report.rows_archived:,}, "
                  f"rows deleted from the database {report.rows_purged:,}", highlight=False)
    if report.files_recovered or report.orphans_removed:
        console.print(f"  recovered from an interrupted run: {report.files_recovered} file(s) finished, "
                      f"{report.orphans_removed} unrecorded file(s) removed")


@archive_app.command("verify")
@friendly_errors
def verify_cmd(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Check against manifest.jsonl only (no database)")] = False,
    config: ConfigOption = None,
) -> None:
    """Recompute every archive file's SHA-256 and row count; exit 1 when a file is missing or changed."""
    from theo.persistence.archive import Archiver, verify_archive

    cfg = get_config(config)
    directory = cfg.archive.resolve_directory(cfg.app.data_dir)
    archiver = Archiver.offline(directory) if jsonl else _archiver(cfg)
    with progress_bar("checking files", unit="files") as bar:
        report = verify_archive(archiver, use_jsonl=jsonl, progress=lambda done, total: bar.update(done, total))
    console.print(f"archive {directory}: {report.checked:,} file(s), {report.rows:,} row(s) checked", highlight=False)
    if report.problems:
        table = Table("file", "problem", "detail")
        for p in report.problems:
            table.add_row(p.path, p.what, p.detail)
        err_console.print(table)
    if not report.ok:
        err_console.print(f"[bold red]archive check failed:[/] {sum(p.what != 'writable' for p in report.problems)} "
                          "problem(s)")
        raise typer.Exit(code=1)
    console.print("archive OK")


@archive_app.command("restore")
@friendly_errors
def restore_cmd(
    first: Annotated[str, typer.Option("--from", help="First New York date to restore (YYYY-MM-DD)")],
    last: Annotated[str, typer.Option("--to", help="Last New York date to restore (YYYY-MM-DD), included")],
    symbol: Annotated[str | None, typer.Option("--symbol", help="Restore only this symbol")] = None,
    config: ConfigOption = None,
) -> None:
    """Bring archived ticks of a date range back into the database (rows already present are kept)."""
    from theo.persistence.archive import restore

    a, b = _date("--from", first), _date("--to", last)
    archiver = _archiver(get_config(config))
    report = restore(archiver, a, b, parse_symbol(symbol, what="--symbol") if symbol else None)
    console.print(f"restored {report.rows_inserted:,} tick(s) from {report.files:,} file(s) "
                  f"({report.rows_in_files - report.rows_inserted:,} already present)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `theo archive ...` to the root app."""
    app.add_typer(archive_app, name="archive")
