"""The bot's side of commands: PTB handlers that turn an update into an :class:`Incoming` and send back the
:class:`Reply` a plain callback returns, so the command logic never sees a PTB type.

Commands come as messages (``/status``, ``/halt@theo_bot reason``); confirmations as button presses
(callback queries) whose data the callback produced itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from theo.adapters.telegram.client import Buttons, keyboard
from theo.adapters.telegram.parsing import command_word, split_text
from theo.core.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A command or a button press: who, where, what."""

    chat_id: int
    user_id: int
    user_name: str
    word: str = ""  # the command without "/" ("halt"); "" for a button press
    args: str = ""
    data: str = ""  # a button's callback data
    message_id: int = 0  # the message the button belongs to


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Buttons | None = None
    answer: str = ""  # a button press: the short notice Telegram shows
    edit: bool = field(default=True)  # a button press: replace the confirmation message with ``text``


OnIncoming = Callable[[Incoming], Awaitable[Reply | None]]


def _who(update: Update) -> tuple[int, int, str]:
    chat = update.effective_chat
    user = update.effective_user
    name = (user.username or user.full_name) if user is not None else ""
    return (chat.id if chat is not None else 0), (user.id if user is not None else 0), name


def command_handlers(on_command: OnIncoming, on_button: OnIncoming) -> list[BaseHandler[Any, Any, Any]]:
    """Handlers for every ``/command`` message and every button press."""

    async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg is None or not msg.text:
            return
        word, args = command_word(msg.text, context.bot.username or "")
        if not word:
            return
        chat_id, user_id, name = _who(update)
        reply = await on_command(Incoming(chat_id, user_id, name, word, args))
        if reply is None:
            return
        parts = split_text(reply.text)
        for i, part in enumerate(parts):
            await context.bot.send_message(chat_id, part, reply_markup=keyboard(reply.buttons)
                                           if i == len(parts) - 1 else None)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        chat_id, user_id, name = _who(update)
        message_id = query.message.message_id if query.message is not None else 0
        reply = await on_button(Incoming(chat_id, user_id, name, data=query.data or "", message_id=message_id))
        await query.answer(reply.answer if reply is not None else "")
        if reply is not None and reply.edit and message_id:
            await context.bot.edit_message_text(reply.text[:4096], chat_id=chat_id, message_id=message_id)

    return [MessageHandler(filters.COMMAND, command), CallbackQueryHandler(button)]
