"""The Bot API client: one python-telegram-bot ``Application`` (its ``Bot`` sends the alerts, its updater long-
polls ``getUpdates`` for the commands) on the notifier's own event loop.

Contract: every coroutine runs on that one loop; errors come out as :mod:`theo.adapters.telegram.errors`
types with the token redacted; the token is never logged (:class:`TokenRedaction` is active from
construction to :meth:`stop`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.ext import Application, ApplicationBuilder, BaseHandler
from telegram.request import HTTPXRequest

from theo.adapters.telegram.errors import TelegramError, translate
from theo.adapters.telegram.parsing import split_text
from theo.adapters.telegram.redaction import TokenRedaction
from theo.config.telegram import TelegramConfig
from theo.core.logging import get_logger

log = get_logger(__name__)

#: A button row for :meth:`TelegramClient.send`: (label, callback data) pairs.
Buttons = Sequence[Sequence[tuple[str, str]]]


def keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in buttons])


class TelegramClient:
    """Sends messages and, with ``handlers``, answers updates by long polling."""

    def __init__(self, cfg: TelegramConfig, token: str, handlers: Sequence[BaseHandler[Any, Any, Any]] = (),
                 on_poll_error: Callable[[str], None] | None = None) -> None:
        self.cfg = cfg
        self.token = token
        self.redaction = TokenRedaction(token)
        self.redaction.install()  # PTB logs its URLs (token included) while building the bot
        timeout = cfg.request_timeout
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(cfg.base_url)
            .request(HTTPXRequest(connection_pool_size=8, read_timeout=timeout, write_timeout=timeout,
                                  connect_timeout=timeout, pool_timeout=timeout))
            .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=timeout,
                                              write_timeout=timeout, connect_timeout=timeout,
                                              pool_timeout=timeout)))
        if not handlers:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        for h in handlers:
            self.app.add_handler(h)
        self.polling = bool(handlers)
        self.on_poll_error = on_poll_error
        self.username = ""

    @property
    def bot(self) -> Bot:
        bot: Bot = self.app.bot
        return bot

    async def start(self) -> None:
        """Check the token (``getMe``) and, with handlers, start long polling; raises :class:`TelegramError`."""
        self.redaction.install()  # again after a stop()
        try:
            await self.app.initialize()  # getMe; a no-op once it succeeded
            self.username = self.bot.username or ""
            if self.polling:
                if not self.app.running:
                    await self.app.start()
                assert self.app.updater is not None
                if not self.app.updater.running:
                    await self.app.updater.start_polling(timeout=self.cfg.poll_timeout,
                                                         drop_pending_updates=False,
                                                         error_callback=self._poll_error,
                                                         allowed_updates=["message", "callback_query"])
        except TelegramError:
            raise
        except Exception as exc:
            raise translate(exc, self.token) from None

    def _poll_error(self, exc: Exception) -> None:
        text = str(translate(exc, self.token))
        log.warning("telegram.poll_failed", error=text)
        if self.on_poll_error is not None:
            self.on_poll_error(text)

    async def stop(self) -> None:
        try:
            if self.polling and self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
        except Exception as exc:  # shutting down: report, never raise past the caller's cleanup
            log.warning("telegram.stop_failed", error=str(translate(exc, self.token)))
        finally:
            self.redaction.remove()

    async def send(self, chat_id: int, text: str, *, silent: bool = False, buttons: Buttons | None = None,
                   skip: int = 0, on_part: Callable[[int], None] | None = None) -> int:
        """Send ``text`` (split at 4096 characters) to ``chat_id``; the last message's id.

        A retry after a failure part-way passes ``skip``, the parts already taken (``on_part`` is told how many
        after each one), so a long text is never sent twice in part."""
        message_id = 0
        parts = split_text(text)
        for i, part in enumerate(parts):
            if i < skip:
                continue
            try:
                msg = await self.bot.send_message(
                    chat_id, part, disable_notification=silent,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_markup=keyboard(buttons) if i == len(parts) - 1 else None)
            except Exception as exc:
                raise translate(exc, self.token) from None
            message_id = msg.message_id
            if on_part is not None:
                on_part(i + 1)
        return message_id

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        try:
            await self.bot.edit_message_text(text[:4096], chat_id=chat_id, message_id=message_id)
        except Exception as exc:
            raise translate(exc, self.token) from None
