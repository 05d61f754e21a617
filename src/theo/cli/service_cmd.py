"""`theo service`: run one component of the engine as its own process on NATS, list them, install systemd units."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config
from theo.core.errors import ConfigError

service_app = typer.Typer(help="The engine's components as separate services on NATS (docs/services.md).",
                          no_args_is_help=True)


def run(name: Annotated[str, typer.Argument(help="collector, aggregator, trader, api or notifier (theo service list)")],
        config: ConfigOption = None,
        replay: Annotated[list[str] | None, typer.Option(
            "--replay", help="collector: replay this tick file (PATH or SYMBOL=PATH) instead of the synthetic "
            "market; repeat per file", show_default=False)] = None,
        speed: Annotated[float | None, typer.Option(
            "--speed", help="collector: simulated seconds per wall second (default [engine] speed)", min=0.001,
            show_default=False)] = None,
        unlimited: Annotated[bool, typer.Option("--unlimited", help="collector: as fast as possible")] = False,
        ) -> None:
    """Run one service until SIGTERM/SIGINT (or, for a replay, until the data ends)."""
    from theo.node.services import service_main
    from theo.node.services.runtime import run_service
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    main = service_main(name)
    if (replay or speed is not None or unlimited) and name != "collector":
        raise ConfigError("--replay, --speed and --unlimited drive the collector's feed; the other services follow "
                          "the bus")
    if unlimited and speed is not None:
        raise ConfigError("--speed and --unlimited exclude each other; pick one")
    cfg = get_config(config)
    if name == "trader":
        from theo.node.services.trader import check

        check(cfg)
    from theo.core.logging import configure_logging

    configure_logging(cfg.logging, data_dir=cfg.app.data_dir)  # every event to the journal, as `theo run`
    files = None
    if replay:
        from theo.cli.run_cmd import _replay_files

        files = _replay_files(replay)
    store = connect(cfg.database_url(), echo=cfg.database.echo, pool_size=cfg.database.pool_size)
    current, head = SchemaRepository(store).revision(), SchemaRepository.head()
    if current != head:  # several services start at once: one migration (theo db upgrade), not one each
        raise ConfigError(f"the store is at schema {current or 'none'}, this Theo needs {head}: run "
                          f"`theo db upgrade` first (the systemd units do it in theo-db-upgrade.service)")
    pace = None if unlimited else (speed if speed is not None else cfg.engine.speed)
    code = run_service(name, cfg, store, main, {"replay": files, "speed": pace, "config_path": config})
    raise typer.Exit(code=code)


def list_services() -> None:
    """The services, what each reads and what it publishes."""
    from theo.node.services import SERVICES

    table = Table(title="theo services (theo service run NAME)")
    for col in ("name", "does", "reads", "publishes"):
        table.add_column(col)
    for s in SERVICES.values():
        table.add_row(s.name, s.summary, s.reads, s.publishes)
    console.print(table)


def install(config: Annotated[Path, typer.Option("--config", help="the config file the units run with "
                                                 "(default /etc/theo/theo.toml)")] = Path("/etc/theo/theo.toml"),
            user: Annotated[bool, typer.Option("--user", help="user units (systemctl --user) instead of "
                                               "system units")] = False,
            directory: Annotated[Path | None, typer.Option(
                "--dir", help="where to write the units (default /etc/systemd/system, or ~/.config/systemd/user "
                "with --user)", show_default=False)] = None,
            workdir: Annotated[Path | None, typer.Option(
                "--workdir", help="the services' working directory (default /var/lib/theo, or the current "
                "directory with --user)", show_default=False)] = None,
            only: Annotated[str | None, typer.Option(
                "--services", help="comma-separated services to install (default: all)", show_default=False)] = None,
            ) -> None:
    """Write a systemd unit per service, the migration unit and theo-services.target."""
    from theo.node.services import SERVICES
    from theo.node.services.units import TARGET, UnitSettings, write_units

    names = [n.strip() for n in only.split(",") if n.strip()] if only else list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise ConfigError(f"--services: unknown {', '.join(unknown)}; the services are {', '.join(SERVICES)}")
    cfg = get_config(config if config.is_file() else None)
    if cfg.bus.kind != "nats":
        console.print(f'note: {config} has [bus] kind = "{cfg.bus.kind}"; the services need kind = "nats"',
                      soft_wrap=True, markup=False)
    exe = Path(shutil.which("theo") or Path(sys.executable).with_name("theo")).resolve()
    target_dir = directory or (Path.home() / ".config/systemd/user" if user else Path("/etc/systemd/system"))
    settings = UnitSettings(exe=exe, config=config.resolve(), user=user,
                            workdir=(workdir or (Path.cwd() if user else Path("/var/lib/theo"))).resolve(),
                            watchdog_seconds=cfg.services.watchdog_seconds,
                            env_file=str(Path.home() / ".config/theo/theo.env") if user else "/etc/theo/theo.env")
    try:
        written = write_units(target_dir, names, settings)
    except PermissionError as exc:
        raise ConfigError(f"cannot write to {target_dir} ({exc.strerror}): run as root, or use --user, or "
                          f"--dir DIR") from exc
    for path in written:
        console.print(f"wrote {path}", soft_wrap=True)
    ctl = "systemctl --user" if user else "systemctl"
    console.print(f"next: {ctl} daemon-reload && {ctl} enable --now {TARGET}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    service_app.command("run")(friendly_errors(run))
    service_app.command("list")(friendly_errors(list_services))
    service_app.command("install")(friendly_errors(install))
    app.add_typer(service_app, name="service")
