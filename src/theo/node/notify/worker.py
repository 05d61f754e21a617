"""The notifier's own thread: an asyncio loop that owns the Telegram client, paces and sends the outbox, polls
for commands, and runs the timers (session ends, the daily summary).

Nothing here runs on the engine's thread: the engine only calls :meth:`TelegramWorker.wake` (thread-safe, no
waiting) after queueing. A failure talks to Telegram never escapes the loop:

* 429: nothing is sent for ``retry_after`` seconds, then the same message is tried again;
* unreachable (network error, timeout, 5xx): back-off from 0.5 s up to ``[telegram] retry_max_seconds``,
  the queue kept (bounded, see :mod:`theo.node.notify.outbox`); one warning when it starts, one line when it ends;
* 403 (bot blocked, kicked) or chat not found: the chat is disabled until restart, with one warning;
* any other 400: that message is dropped with an error line naming the chat and the alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from theo.adapters.telegram import (
    ChatBlocked,
    ChatMigrated,
    MessageRefused,
    TelegramClient,
    TelegramError,
    TelegramRateLimited,
    TelegramUnreachable,
)
from theo.adapters.telegram.errors import InvalidBotToken
from theo.config.telegram import TelegramConfig
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.node.notify.outbox import Delivery, Outbox
from theo.node.notify.pacing import Pacer

log = get_logger(__name__)
TICK = 1.0  # seconds between timer runs


class TelegramWorker:
    """Start with :meth:`start` (returns once the bot answered ``getMe`` or is known unreachable)."""

    def __init__(self, cfg: TelegramConfig, client: TelegramClient, outbox: Outbox,
                 timers: Callable[[], Awaitable[None]] | None = None) -> None:
        self.cfg = cfg
        self.client = client
        self.outbox = outbox
        self.timers = timers
        self.pacer = Pacer(cfg, time.monotonic())
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._down_since: float | None = None
        self._backoff = 0.5
        self.started = False  # the client answered getMe
        self.rate_limited = 0

    # -- lifecycle (caller's thread) ---------------------------------------------------------------------------
    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="theo-telegram", daemon=True)
        self.thread.start()
        self._ready.wait(self.cfg.request_timeout + 5)
        if isinstance(self._error, InvalidBotToken):
            self.stop()
            raise ConfigError(f"{self._error}") from None

    def wake(self) -> None:
        loop, ev = self.loop, self._wake
        if loop is not None and ev is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                loop.call_soon_threadsafe(ev.set)

    def stop(self, drain_seconds: float = 2.0) -> None:
        """Send what can still go within ``drain_seconds``, stop polling, join the thread."""
        loop, ev = self.loop, self._stop
        if loop is not None and ev is not None and not loop.is_closed():
            self._drain_until = time.monotonic() + drain_seconds
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ev.set)
        if self.thread is not None:
            self.thread.join(drain_seconds + self.cfg.request_timeout + 5)

    def run_coroutine(self, coro: Awaitable[Any]) -> Any:
        """Run ``coro`` on the worker's loop from another thread (tests, the commands' confirmations)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(self.cfg.request_timeout + 5)  # type: ignore[arg-type]

    # -- the loop ----------------------------------------------------------------------------------------------
    _drain_until = 0.0

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._main())
        finally:
            self.loop.close()
            self._ready.set()

    async def _main(self) -> None:
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        await self._connect()
        self._ready.set()
        if isinstance(self._error, InvalidBotToken):
            return
        timers = asyncio.create_task(self._timers())
        try:
            while not self._stop.is_set():
                if not self.started:
                    self._wake.clear()
                    await self._connect()
                    if not self.started:
                        await self._sleep(self._backoff_step())
                        continue
                await self._send_next()
            await self._drain()
        finally:
            timers.cancel()
            await self.client.stop()

    async def _connect(self) -> None:
        try:
            await self.client.start()
        except InvalidBotToken as exc:
            self._error = exc
            log.error("telegram.invalid_token", error=str(exc), token_env=self.cfg.token_env)
            return
        except TelegramError as exc:
            self._outage(str(exc))
            return
        self.started = True
        self._recovered()
        log.info("telegram.ready", bot=self.client.username, polling=self.client.polling)

    async def _timers(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            if self.timers is not None:
                try:
                    await self.timers()
                except Exception:  # a timer bug must not stop alerts
                    log.exception("telegram.timer_failed")

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        assert self._stop is not None
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self._stop.wait())]
        try:
            await asyncio.wait(waits, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    def _backoff_step(self) -> float:
        step = self._backoff
        self._backoff = min(self._backoff * 2, self.cfg.retry_max_seconds)
        return step

    def _outage(self, error: str) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("telegram.unreachable", error=error, queued=len(self.outbox),
                        hint="alerts are kept (oldest summaries dropped first when the queue is full) and sent "
                             "when Telegram answers again")

    def _recovered(self) -> None:
        self._backoff = 0.5
        if self._down_since is not None:
            log.info("telegram.reachable_again", down_seconds=round(time.monotonic() - self._down_since, 1),
                     queued=len(self.outbox), dropped=dict(self.outbox.dropped))
            self._down_since = None

    def _pick(self, now: float) -> tuple[Delivery | None, float]:
        wait = TICK
        for d in self.outbox.heads():
            w = self.pacer.wait(d.chat_id, now)
            if w <= 0:
                return d, 0.0
            wait = min(wait, w)
        return None, wait

    async def _send_next(self) -> None:
        assert self._wake is not None
        self._wake.clear()  # before looking: a message queued from now on sets it again
        d, wait = self._pick(time.monotonic())
        if d is None:
            await self._sleep(wait)
            return
        if not self.outbox.take(d):
            return
        self.pacer.take(d.chat_id, time.monotonic())
        await self._deliver(d)

    async def _deliver(self, d: Delivery) -> None:
        try:
            await self.client.send(d.chat_id, d.alert.text, silent=d.silent, skip=d.parts_sent,
                                   on_part=lambda n: setattr(d, "parts_sent", n))
        except TelegramRateLimited as exc:
            self.rate_limited += 1
            self.outbox.release(d)
            self.pacer.pause(exc.retry_after, time.monotonic())
            log.warning("telegram.rate_limited", retry_after=exc.retry_after, chat=d.chat_id)
        except ChatBlocked as exc:
            self.outbox.release(d)
            n = self.outbox.disable(d.chat_id, "chat_blocked")
            log.warning("telegram.chat_disabled", chat=d.chat_id, error=str(exc), dropped=n,
                        hint="the bot was blocked or removed, or the chat id is wrong; no more alerts go to this "
                             "chat until restart; fix [[telegram.recipients]] or unblock the bot")
        except ChatMigrated as exc:
            self.outbox.move(d.chat_id, exc.new_chat_id)
            log.warning("telegram.chat_migrated", chat=d.chat_id, new_chat=exc.new_chat_id,
                        hint=f"set chat_id = {exc.new_chat_id} in [[telegram.recipients]]")
        except MessageRefused as exc:
            self.outbox.discard(d, "refused")
            log.error("telegram.message_refused", chat=d.chat_id, key=d.alert.key, error=str(exc))
        except TelegramUnreachable as exc:
            self.outbox.release(d)
            self._outage(str(exc))
            await self._sleep(self._backoff_step())
        except TelegramError as exc:  # an invalid token after start, a conflict: keep the message, slow down
            self.outbox.release(d)
            log.error("telegram.send_failed", chat=d.chat_id, error=str(exc))
            await self._sleep(self._backoff_step())
        else:
            self.outbox.sent(d)
            self._recovered()

    async def _drain(self) -> None:
        while len(self.outbox) and time.monotonic() < self._drain_until and self._down_since is None:
            d, wait = self._pick(time.monotonic())
            if d is None:
                if wait + time.monotonic() > self._drain_until:
                    break
                await asyncio.sleep(wait)
                continue
            if self.outbox.take(d):
                self.pacer.take(d.chat_id, time.monotonic())
                await self._deliver(d)
        if len(self.outbox):
            log.warning("telegram.stopped_with_queue", queued=len(self.outbox),
                        hint="these alerts were not delivered before the notifier stopped")
