"""`theo notify`: the Telegram notifier and the bot's commands as a process of their own.

Commands (/status, /halt, ...) work on the database like ``theo api``; a halt or kill is adopted by a separately
running ``theo run`` at its next sweep. Alerts come from the bus it is given: inside ``theo run`` the engine's
own; alone, the daily summary and whatever reaches this process's bus. ``--test`` sends one message to every
recipient and reports what Telegram answered, to check the token and the chat ids.
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_store
from theo.core.errors import ConfigError

if TYPE_CHECKING:
    from theo.node.notify.service import NotifierService


def notify(config: ConfigOption = None,
           test: Annotated[bool, typer.Option("--test", help="send one test message to every recipient and "
                                                             "exit")] = False,
           duration: Annotated[float | None, typer.Option("--duration", help="stop after this many seconds",
                                                          min=0, show_default=False)] = None) -> None:
    """Run the Telegram notifier and commands (Ctrl-C stops); see docs/telegram.md."""
    from theo.core.bus.memory import InMemoryBus
    from theo.core.logging import configure_logging
    from theo.node.notify.service import NotifierService, run_notifier

    cfg = get_config(config)
    if not cfg.telegram.enabled:
        raise ConfigError("[telegram] enabled = false: turn it on and add [[telegram.recipients]] "
                          "(docs/telegram.md)")
    if not cfg.telegram.recipients:
        raise ConfigError("[telegram] has no [[telegram.recipients]]: add one block per chat with its chat_id "
                          "(docs/telegram.md says how to find it)")
    configure_logging(cfg.logging, data_dir=cfg.app.data_dir)
    db = open_store(cfg)
    if test:
        _send_test(NotifierService(cfg.model_copy(update={"telegram": cfg.telegram.model_copy(
            update={"commands": False})}), db))
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if duration is not None:
        threading.Timer(duration, stop.set).start()
    names = ", ".join(r.label for r in cfg.telegram.recipients)
    console.print(f"telegram: alerts to {names}; commands {'on' if cfg.telegram.commands else 'off'} "
                  f"(Ctrl-C stops)", soft_wrap=True)
    service = run_notifier(cfg, db, InMemoryBus(), stop)
    out = service.notifier.outbox
    console.print(f"stopped: {out.delivered} messages delivered, {len(out)} not delivered, dropped "
                  f"{dict(out.dropped) or 0}", soft_wrap=True)


def _send_test(service: NotifierService) -> None:
    from theo.config.telegram import AlertKind
    from theo.node.notify.alerts import Alert, Priority

    now = datetime.now(UTC)
    chats = [(r.chat_id, False) for r in service.notifier.cfg.recipients]
    alert = Alert(AlertKind.SYSTEM, f"test:{now.isoformat()}", "Theo test message: alerts reach this chat.",
                  Priority.NORMAL, now)
    service.start()
    service.notifier.outbox.put(alert, chats)
    service.worker.wake()
    service.stop(drain_seconds=service.notifier.cfg.request_timeout)
    out = service.notifier.outbox
    for r in service.notifier.cfg.recipients:
        ok = not out.is_disabled(r.chat_id) and service.notifier.outbox.sent_log.seen(alert.key, r.chat_id)
        (console if ok else err_console).print(f"{r.label} ({r.chat_id}): {'sent' if ok else 'NOT sent'}",
                                               soft_wrap=True)
    if out.delivered < len(chats):
        err_console.print("some messages did not go out; the log above says why (blocked bot, wrong chat id, "
                          "no network)", soft_wrap=True)
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("notify")(friendly_errors(notify))
