"""The bot's commands: authorised per chat id and role, answered by the same service functions as the API.

Only chats listed in ``[[telegram.recipients]]`` (with ``commands = true``) get answers; any other chat gets a
refusal that reveals nothing, and a warning is logged with its id. Each chat acts as an
:class:`~theo.api.services.context.Actor` named after the recipient, with its role and origin ``telegram``,
so the audit log shows who halted trading from where.

``/halt``, ``/resume`` and ``/kill`` change the trading state: they ask first, with buttons, and act only on a
press in the same chat within ``[telegram] confirm_seconds``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from theo.adapters.telegram.commands import Incoming, Reply
from theo.api.services import state as trading_state
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import ServiceError
from theo.config.telegram import Recipient, TelegramConfig
from theo.core.logging import get_logger
from theo.node.notify import replies

log = get_logger(__name__)

READS: dict[str, tuple[Callable[[ServiceContext, Actor], str], str]] = {
    "status": (replies.status_text, "trading state, engine, feed and broker health, account"),
    "positions": (replies.positions_text, "open positions with unrealized P&L"),
    "trades": (replies.trades_text, f"the latest {replies.LIST} trades"),
    "pnl": (replies.pnl_text, "today's, realized, unrealized and total P&L"),
    "signals": (replies.signals_text, f"the latest {replies.LIST} signals"),
    "risk": (replies.risk_text, "risk limits and how close they are"),
}
CHANGES = {"halt": "stop new orders (protective orders keep working)",
           "resume": "allow new orders again",
           "kill": "kill switch: cancel working entries, optionally close every position, then halt"}
REFUSAL = "This chat is not authorised to use this bot."


@dataclass
class _Pending:
    action: str
    chat_id: int
    reason: str
    expires: float


class CommandDesk:
    """Answers :class:`Incoming` commands and button presses (on the notifier's loop; service calls in a
    worker thread so polling and alerts go on meanwhile)."""

    def __init__(self, cfg: TelegramConfig, ctx: ServiceContext) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self._pending: dict[str, _Pending] = {}
        self.refused = 0

    def _recipient(self, inc: Incoming) -> Recipient | None:
        r = self.cfg.recipient(inc.chat_id)
        if r is None or not r.commands:
            self.refused += 1
            log.warning("telegram.unauthorised_chat", chat=inc.chat_id, user=inc.user_id, command=inc.word or "button",
                        hint="add the chat to [[telegram.recipients]] if it should use the bot")
            return None
        return r

    @staticmethod
    def actor(r: Recipient) -> Actor:
        return Actor(r.label, Role(r.role), origin="telegram")

    async def on_command(self, inc: Incoming) -> Reply:
        r = self._recipient(inc)
        if r is None:
            return Reply(REFUSAL)
        actor = self.actor(r)
        log.info("telegram.command", chat=inc.chat_id, actor=actor.name, command=inc.word)
        if inc.word in ("help", "start"):
            return Reply(self.help_text(actor))
        if inc.word in READS:
            return await self._call(lambda: READS[inc.word][0](self.ctx, actor))
        if inc.word in CHANGES:
            return self._ask(inc, r, actor)
        return Reply(f"Unknown command /{inc.word}. /help lists the commands.")

    def help_text(self, actor: Actor) -> str:
        lines = [f"Commands for {actor.name} ({actor.role.value}):"]
        lines += [f"/{w} - {what}" for w, (_fn, what) in READS.items()]
        if actor.allows(Role.TRADER):
            lines += [f"/{w} [reason] - {what}" for w, what in CHANGES.items()]
        lines.append("/help - this list")
        return "\n".join(lines)

    async def _call(self, fn: Callable[[], str]) -> Reply:
        try:
            return Reply(await asyncio.to_thread(fn))
        except ServiceError as exc:
            return Reply(str(exc))
        except Exception:
            log.exception("telegram.command_failed")
            return Reply("That failed on the server; the error is in Theo's log.")

    def _ask(self, inc: Incoming, r: Recipient, actor: Actor) -> Reply:
        if not actor.allows(Role.TRADER):
            return Reply(f"/{inc.word} needs the trader role; {actor.name} is a {actor.role.value}.")
        now = time.monotonic()
        self._pending = {k: p for k, p in self._pending.items() if p.expires > now}
        nonce = secrets.token_hex(6)
        reason = inc.args.strip() or f"from Telegram by {r.label}"
        self._pending[nonce] = _Pending(inc.word, inc.chat_id, reason[:500], now + self.cfg.confirm_seconds)
        if inc.word == "kill":
            buttons = [[("Kill", f"kill:{nonce}"), ("Kill and flatten", f"killflat:{nonce}")],
                       [("Cancel", f"cancel:{nonce}")]]
            question = "Pull the kill switch? Working entries are cancelled and trading halts."
        else:
            buttons = [[(f"Confirm {inc.word}", f"{inc.word}:{nonce}"), ("Cancel", f"cancel:{nonce}")]]
            question = f"{inc.word.capitalize()} trading? {CHANGES[inc.word].capitalize()}."
        return Reply(f"{question}\nReason: {reason}\nConfirm within {self.cfg.confirm_seconds} s.", buttons)

    async def on_button(self, inc: Incoming) -> Reply | None:
        r = self._recipient(inc)
        if r is None:
            return Reply(REFUSAL, answer="not authorised")
        action, _, nonce = inc.data.partition(":")
        pending = self._pending.get(nonce)
        if pending is None or pending.chat_id != inc.chat_id or pending.expires <= time.monotonic():
            if pending is not None and pending.expires <= time.monotonic():
                del self._pending[nonce]
            return Reply("This confirmation has expired or was already used; send the command again.",
                         answer="expired")
        del self._pending[nonce]
        if action == "cancel":
            return Reply(f"/{pending.action} cancelled; nothing changed.", answer="cancelled")
        actor = self.actor(r)
        ctx, why = self.ctx, pending.reason
        calls: dict[str, Callable[[], object]] = {
            "halt": lambda: trading_state.halt(ctx, actor, why),
            "resume": lambda: trading_state.resume(ctx, actor, why),
            "kill": lambda: trading_state.kill(ctx, actor, why, flatten=False),
            "killflat": lambda: trading_state.kill(ctx, actor, why, flatten=True)}
        call = calls.get(action)
        if call is None or action.removesuffix("flat") != pending.action:
            return Reply("That button does not belong to this confirmation; send the command again.",
                         answer="refused")
        try:
            await asyncio.to_thread(call)
        except ServiceError as exc:
            return Reply(str(exc), answer="refused")
        except Exception:
            log.exception("telegram.command_failed", command=action)
            return Reply("That failed on the server; the error is in Theo's log.", answer="failed")
        log.warning("telegram.state_changed", actor=actor.name, chat=inc.chat_id, action=action, reason=why)
        done = {"halt": "Trading HALTED", "resume": "Trading ACTIVE again",
                "kill": "Kill switch pulled: working entries are cancelled, then trading halts",
                "killflat": "Kill switch pulled: working entries are cancelled, every position is closed, "
                            "then trading halts"}[action]
        return Reply(f"{done}.\nReason: {why}\nby {actor.name} (telegram)", answer="done")
