"""The bot's commands by long polling (real PTB Application, fake Bot API): each command per role, refusals
for unknown chats and viewers, and /halt, /resume, /kill with their confirmation buttons, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TRADER, VIEWER, telegram_config, texts
from theo.api.services.context import ServiceContext
from theo.api.services.state import state_now
from theo.node.notify.service import NotifierService, _NoEvents
from theo.persistence.repositories import Repositories
from theo.risk.state import State

STRANGER = 666


@pytest.fixture
def bot(fake: FakeBotApi, tmp_path: Path, sqlite_engine: Engine) -> Iterator[NotifierService]:
    cfg = telegram_config(fake, tmp_path, recipients=[
        {"chat_id": TRADER, "name": "ops", "role": "trader", "kinds": ["risk"]},
        {"chat_id": VIEWER, "name": "boss", "role": "viewer", "kinds": []}])
    service = NotifierService(cfg, sqlite_engine)
    service.start()
    yield service
    service.stop(drain_seconds=0.2)


def _ask(fake: FakeBotApi, chat_id: int, text: str, n: int = 1) -> list[Any]:
    before = len(fake.messages(chat_id))
    fake.push_message(chat_id, text)
    assert fake.wait_for(lambda: len(fake.messages(chat_id)) >= before + n, timeout=5), text
    return fake.messages(chat_id)[before:]


def _press(fake: FakeBotApi, chat_id: int, message: Any, label: str) -> str:
    markup = message.params["reply_markup"]
    data = next(b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == label)
    edits = len(fake.calls("editMessageText"))
    fake.push_callback(chat_id, data, message_id=100)
    assert fake.wait_for(lambda: len(fake.calls("editMessageText")) > edits, timeout=5)
    assert fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) > 0)
    return str(fake.calls("editMessageText")[-1].params["text"])


def _ctx(service: NotifierService) -> ServiceContext:
    return ServiceContext(config=service.ctx.config, store=service.ctx.store, events=_NoEvents())


@pytest.mark.parametrize("command", ["/status", "/positions", "/trades", "/pnl", "/signals", "/risk"])
def test_every_read_command_answers_a_viewer_from_the_store(bot: NotifierService, fake: FakeBotApi,
                                                            command: str) -> None:
    (reply,) = _ask(fake, VIEWER, command)
    first = reply.text.splitlines()[0]
    expected = {"/status": "Trading ACTIVE", "/positions": "No open positions.", "/trades": "No trades yet.",
                "/pnl": "P&L (USD)", "/signals": "No signals yet.", "/risk": "Risk ACTIVE"}[command]
    assert first.startswith(expected)
    if command == "/pnl":
        assert "account value 100,000.00" in reply.text  # [market] capital, two decimals


def test_help_lists_the_state_commands_only_for_a_trader(bot: NotifierService, fake: FakeBotApi) -> None:
    (viewer,) = _ask(fake, VIEWER, "/help")
    (trader,) = _ask(fake, TRADER, "/help")
    assert "/status" in viewer.text
    assert "/halt" not in viewer.text
    assert "/halt [reason]" in trader.text
    assert "/kill [reason]" in trader.text


def test_an_unknown_chat_is_refused_and_logged_without_any_data(bot: NotifierService, fake: FakeBotApi) -> None:
    for command in ("/status", "/pnl", "/halt now"):
        (reply,) = _ask(fake, STRANGER, command)
        assert reply.text == "This chat is not authorised to use this bot."
    assert bot.desk.refused == 3
    assert state_now(_ctx(bot)).state is State.ACTIVE


def test_a_viewer_cannot_halt(bot: NotifierService, fake: FakeBotApi) -> None:
    (reply,) = _ask(fake, VIEWER, "/halt too volatile")
    assert reply.text == "/halt needs the trader role; boss is a viewer."
    assert "reply_markup" not in reply.params
    assert state_now(_ctx(bot)).state is State.ACTIVE


def test_halt_asks_then_halts_on_confirm_with_an_audit_row_from_telegram(bot: NotifierService,
                                                                         fake: FakeBotApi) -> None:
    (question,) = _ask(fake, TRADER, "/halt spread too wide")
    assert question.text.startswith("Halt trading?")
    assert state_now(_ctx(bot)).state is State.ACTIVE  # nothing before the press
    done = _press(fake, TRADER, question, "Confirm halt")
    assert done.startswith("Trading HALTED.")
    now = state_now(_ctx(bot))
    assert (now.state, now.reason, now.actor) == (State.HALTED, "spread too wide", "telegram:ops")
    entries, _total = Repositories(bot.ctx.store).audit.list(action="state.halt", limit=5, offset=0)
    assert [(e.actor, e.origin, e.detail["reason"]) for e in entries] == [("ops", "telegram", "spread too wide")]
    # the same button again does nothing
    fake.push_callback(TRADER, question.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
                       message_id=100)
    assert fake.wait_for(lambda: "expired" in str(fake.calls("editMessageText")[-1].params["text"]))
    (again,) = _ask(fake, TRADER, "/resume back to normal")
    assert _press(fake, TRADER, again, "Confirm resume").startswith("Trading ACTIVE again.")
    assert state_now(_ctx(bot)).state is State.ACTIVE


def test_kill_with_flatten_records_a_kill_request_and_cancel_changes_nothing(bot: NotifierService,
                                                                             fake: FakeBotApi) -> None:
    (question,) = _ask(fake, TRADER, "/kill")
    assert _press(fake, TRADER, question, "Cancel") == "/kill cancelled; nothing changed."
    assert state_now(_ctx(bot)).state is State.ACTIVE
    (question,) = _ask(fake, TRADER, "/kill runaway strategy")
    assert _press(fake, TRADER, question, "Kill and flatten").startswith("Kill switch pulled")
    now = state_now(_ctx(bot))
    assert (now.state, now.pending_kill) == (State.HALTED, True)
    entries, _total = Repositories(bot.ctx.store).audit.list(action="state.kill", limit=5, offset=0)
    assert entries[0].detail == {"reason": "runaway strategy", "flatten": True}
    assert entries[0].origin == "telegram"


def test_a_button_pressed_in_another_chat_does_nothing(bot: NotifierService, fake: FakeBotApi) -> None:
    (question,) = _ask(fake, TRADER, "/halt x")
    data = question.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.push_callback(VIEWER, data, message_id=100)
    assert fake.wait_for(lambda: len(fake.calls("editMessageText")) == 1)
    assert "expired" in str(fake.calls("editMessageText")[0].params["text"])
    assert state_now(_ctx(bot)).state is State.ACTIVE
    assert texts(fake, VIEWER) == []
