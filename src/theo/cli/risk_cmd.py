"""`theo risk`: show and change the trading state (ACTIVE / REDUCING / HALTED) and pull the kill switch.

These commands write to the store; a running engine adopts the change at its next sweep (default 5 s).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_repositories
from theo.core.errors import ConfigError
from theo.core.time import exchange_time

risk_app = typer.Typer(help="Trading state, kill switch and recent risk decisions.", no_args_is_help=True)
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
AccountOption = Annotated[str, typer.Option("--account", help="Account id (default: the configured one).")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


ENGINE_CLOCK_NOTE = "engine clock: the simulated time of a paper run on synthetic or replayed data"
#: Actors that write a state change themselves, stamped with the wall clock (`theo risk`, API, Telegram).
OPERATOR_PREFIXES = ("cli", "api", "telegram", "operator")


def by_operator(actor: str, reason: str) -> bool:
    """True when an operator wrote the change (wall clock); the engine's own changes carry its clock.

    The engine carries out a kill switch in the operator's name, with the reason ``kill switch: ...``.
    """
    return actor.startswith(OPERATOR_PREFIXES) and not reason.startswith("kill switch: ")


def _set(config: ConfigOption, to: str, reason: str, account: str, *, kill: bool = False,
         flatten: bool = False) -> None:
    from theo.risk.state import State, StateChange, current_state

    if not reason.strip():
        raise ConfigError("--reason is required and must not be empty: say why, it goes to the audit log")
    cfg = get_config(config)
    states = open_repositories(cfg).trading_state
    acct = account if account else ""
    now, (prev, _) = datetime.now(UTC), current_state(states, acct)
    states.append(StateChange(now, State(to), prev, reason, _actor(), acct), kill=kill, flatten=flatten)
    what = f"kill switch requested ({'flatten' if flatten else 'no flatten'}); " if kill else ""
    console.print(f"{what}trading state {prev.value} -> {to} for account {acct or '(default)'}: {reason}. "
                  f"A running engine applies it at its next sweep.")


@risk_app.command("status")
@friendly_errors
def status_command(config: ConfigOption = None, account: AccountOption = "") -> None:
    """Show the trading state, its recent changes and the latest denials."""
    from theo.risk.state import current_state

    repos = open_repositories(get_config(config))
    state, rows = current_state(repos.trading_state, account)
    console.print(f"trading state: [bold]{state.value}[/]")
    if rows:
        cells = []
        for r in rows[:10]:
            kill = ("flatten" if r.flatten else "yes") + ("" if r.handled_at else " (pending)") if r.kill else ""
            when = exchange_time(r.ts)
            wall, engine = (when, "") if by_operator(r.actor, r.reason) else ("", when)
            cells.append((wall, engine, r.previous.value, r.state.value, r.actor, r.reason, kill))
        names = ("wall clock (ET)", "engine clock (ET)", "from", "to", "by", "reason", "kill")
        # A clock no row uses is left out, so the reason keeps the width; only the reason wraps.
        shown = [i for i, col in enumerate(names) if "clock" not in col or any(c[i] for c in cells)]
        table = Table(title="recent changes", caption=ENGINE_CLOCK_NOTE if 1 in shown else None)
        for i in shown:
            table.add_column(names[i], overflow="fold", no_wrap=names[i] != "reason")
        for c in cells:
            table.add_row(*(c[i] for i in shown))
        console.print(table)
    denials = repos.decisions.denials(10)
    if denials:
        table = Table(title="latest denials", caption=ENGINE_CLOCK_NOTE)
        for col in ("engine clock (ET)", "strategy", "symbol", "rule", "reason"):
            table.add_column(col, overflow="fold", no_wrap=col != "reason")
        for d in denials:
            table.add_row(exchange_time(d.ts), d.strategy, d.symbol, d.rule, d.reason)
        console.print(table)
    else:
        console.print("no denials recorded")


@risk_app.command("halt")
@friendly_errors
def halt_command(reason: ReasonOption, config: ConfigOption = None, account: AccountOption = "") -> None:
    """HALT trading: nothing but cancels leaves."""
    _set(config, "HALTED", reason, account)


@risk_app.command("reduce")
@friendly_errors
def reduce_command(reason: ReasonOption, config: ConfigOption = None, account: AccountOption = "") -> None:
    """Move to REDUCING: only orders that reduce exposure leave."""
    _set(config, "REDUCING", reason, account)


@risk_app.command("resume")
@friendly_errors
def resume_command(reason: ReasonOption, config: ConfigOption = None, account: AccountOption = "") -> None:
    """Back to ACTIVE: every order the checks allow may leave."""
    _set(config, "ACTIVE", reason, account)


@risk_app.command("kill")
@friendly_errors
def kill_command(
    config: ConfigOption = None,
    flatten: Annotated[bool, typer.Option("--flatten", help="Also close every position at market.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "kill switch",
    account: AccountOption = "",
) -> None:
    """Kill switch: cancel working entries (stops and targets stay), optionally flatten, then HALT."""
    _set(config, "HALTED", reason, account, kill=True, flatten=flatten)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(risk_app, name="risk")
