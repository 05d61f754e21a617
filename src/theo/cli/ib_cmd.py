"""`theo ib check`: can Theo use this TWS / IB Gateway? Connection, accounts, market-data permissions.

Exit codes: 0 everything the configured symbols need is there; 1 something is missing (each item says what
to do); 2 TWS / IB Gateway is not reachable (one line says why).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config
from theo.model.symbols import parse_symbol

if TYPE_CHECKING:
    from theo.adapters.ibkr.connection import IbkrSession
    from theo.adapters.ibkr.data import IbkrMarketData
    from theo.config import TheoConfig

ib_app = typer.Typer(help="Interactive Brokers: check the connection to TWS / IB Gateway.", no_args_is_help=True)

#: Where a permission comes from, by exchange / kind (Account Management > Settings > Market Data Subscriptions).
SUBSCRIPTIONS: dict[str, str] = {
    "NASDAQ": "NASDAQ (Network C/UTP)", "NYSE": "NYSE (Network A/CTA)",
    "ARCA": "NYSE American, BATS, ARCA, IEX, and Regional Exchanges (Network B)",
    "AMEX": "NYSE American, BATS, ARCA, IEX, and Regional Exchanges (Network B)",
    "BATS": "NYSE American, BATS, ARCA, IEX, and Regional Exchanges (Network B)",
    "CME": "CME Real-Time (NP, L1)", "CFE": "CFE Enhanced (Cboe Futures Exchange)",
    "CBOE": "Cboe Streaming Market Indexes", "OPT": "OPRA (US Options Exchanges)",
}
BUNDLE = "US Securities Snapshot and Futures Value Bundle"


@dataclass
class Permission:
    symbol: str
    status: str  # live | delayed | none | unknown
    detail: str = ""
    todo: str = ""


def register(app: typer.Typer) -> None:
    """Add `theo ib ...` to the root app."""
    ib_app.command("check")(check)
    app.add_typer(ib_app, name="ib")


def configured_symbols(config: TheoConfig) -> list[str]:
    """Every symbol the configured strategies trade or read, in order."""
    from theo.strategy.registry import build_strategies, build_strategy

    names: list[str] = []
    for strategy in build_strategies(config.strategies, build_strategy):
        for symbol, _tf in strategy.subscriptions:
            if symbol not in names:
                names.append(symbol)
    return names


def _subscription_for(exchange: str, kind: str) -> str:
    return SUBSCRIPTIONS.get("OPT" if kind == "OPTION" else exchange, f"the {exchange} market-data subscription")


@friendly_errors
def check(
    symbols: Annotated[list[str] | None, typer.Option("--symbol", "-s", help="also check this symbol (repeatable)",
                                                      show_default=False)] = None,
    attempts: Annotated[int, typer.Option(min=1, max=10, help="connection attempts")] = 2,
    config: ConfigOption = None,
) -> None:
    """Connect to TWS / IB Gateway and show what Theo can and cannot do there."""
    cfg = get_config(config)
    wanted = configured_symbols(cfg)
    for extra in symbols or []:
        sym = parse_symbol(extra, what="--symbol")
        if sym not in wanted:
            wanted.append(sym)
    code = asyncio.run(_check(cfg, wanted, attempts))
    raise typer.Exit(code)


async def _check(cfg: TheoConfig, symbols: list[str], attempts: int) -> int:
    from theo.adapters.ibkr.connection import AccountError, IbkrSession
    from theo.adapters.ibkr.data import IbkrMarketData

    ib = cfg.execution.ibkr.for_command(connect_timeout_seconds=min(cfg.execution.ibkr.connect_timeout_seconds, 5.0),
                                        reconnect_initial_seconds=0.5, reconnect_max_seconds=1.0)
    session = IbkrSession(ib)
    md = IbkrMarketData(session, ib)
    missing: list[str] = []
    try:
        try:
            await session.connect(attempts=attempts)
        except AccountError as exc:
            _show_connection(session, ib.host, ib.port, ib.client_id)
            missing.append(str(exc))
            return _report(missing)
        except ConnectionError as exc:
            err_console.print(f"[bold red]error:[/] cannot reach TWS / IB Gateway: {escape(str(exc))}",
                              soft_wrap=True)
            return 2
        _show_connection(session, ib.host, ib.port, ib.client_id)
        console.print(f"trading account: {session.account} ({'paper' if session.account.startswith('DU') else 'LIVE'})")
        console.print(f"market data type: {ib.market_data_type}")
        if not symbols:
            console.print("symbols: none configured (add strategies, or --symbol SPY)")
        for symbol in symbols:
            perm = await _permission(md, symbol, ib.market_data_type)
            colour = {"live": "green", "delayed": "yellow"}.get(perm.status, "red")
            line = f"  {symbol:<10} [{colour}]{perm.status}[/]" + (f"  {escape(perm.detail)}" if perm.detail else "")
            console.print(line, soft_wrap=True)
            if perm.todo:
                missing.append(f"{symbol}: {perm.todo}")
        return _report(missing)
    finally:
        await session.close()


def _show_connection(session: IbkrSession, host: str, port: int, client_id: int) -> None:
    console.print(f"TWS / IB Gateway at {host}:{port} (client id {client_id}): connected, server version "
                  f"{session.server_version}")
    kinds = ", ".join(f"{a} ({'paper' if a.startswith('DU') else 'live'})" for a in session.accounts)
    console.print(f"managed accounts: {kinds or 'none'}")


async def _permission(md: IbkrMarketData, symbol: str, data_type: str) -> Permission:
    from theo.adapters.ibkr.errors import IbkrError
    from theo.adapters.ibkr.reference import UnknownSymbol

    try:
        info = await md.validate_symbol(symbol)
    except UnknownSymbol as exc:
        return Permission(symbol, "unknown", str(exc), "IBKR does not know it: fix the symbol in the config")
    except IbkrError as exc:
        return Permission(symbol, "unknown", str(exc), "resolve the symbol (see above)")
    where = info.primary_exchange or info.exchange
    sub = _subscription_for(where, info.kind.value)
    try:
        snap = await md.get_market_data(symbol)
    except IbkrError as exc:
        return Permission(symbol, "none", f"{where}: {exc}",
                          f"subscribe to {sub} (and the {BUNDLE}) in Account Management > Settings > Market Data "
                          f"Subscriptions, or set [execution.ibkr] market_data_type = \"delayed\" where IBKR offers "
                          f"delayed data")
    if snap.delayed:
        todo = "" if data_type.startswith("delayed") else (
            f"only delayed (15 min) data: subscribe to {sub} for live data, or set [execution.ibkr] "
            f"market_data_type = \"delayed\" to accept it")
        return Permission(symbol, "delayed", f"{where}, {info.description}", todo)
    return Permission(symbol, "live", f"{where}, {info.description}")


def _report(missing: list[str]) -> int:
    if not missing:
        console.print("[green]everything Theo needs is there[/]")
        return 0
    console.print("[bold red]missing:[/]")
    for item in missing:
        console.print(f"  - {escape(item)}", soft_wrap=True)
    return 1
