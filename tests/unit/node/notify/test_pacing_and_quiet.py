"""Pacing within Telegram's limits, quiet hours across midnight, message splitting and command words."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from theo.adapters.telegram.parsing import command_word, split_text
from theo.config.telegram import Recipient, TelegramConfig
from theo.node.notify.pacing import Pacer


def test_one_chat_gets_its_burst_then_one_message_a_second() -> None:
    pacer = Pacer(TelegramConfig(), now=0.0)
    for _ in range(3):  # chat_burst = 3
        assert pacer.wait(42, 0.0) == 0
        pacer.take(42, 0.0)
    assert pacer.wait(42, 0.0) == pytest.approx(1.0)
    assert pacer.wait(43, 0.0) == 0  # another chat is not held up
    assert pacer.wait(42, 1.0) == 0


def test_a_group_gets_at_most_twenty_a_minute() -> None:
    pacer = Pacer(TelegramConfig(chat_per_second=100, chat_burst=100), now=0.0)
    for i in range(20):
        assert pacer.wait(-100, i * 0.01) == 0
        pacer.take(-100, i * 0.01)
    assert pacer.wait(-100, 0.2) == pytest.approx(3.0 - 0.2, abs=0.01)  # 20/60 s: one token every 3 s


def test_all_chats_together_stay_under_the_global_rate() -> None:
    pacer = Pacer(TelegramConfig(global_per_second=30), now=0.0)
    for chat in range(30):
        pacer.take(chat + 1, 0.0)
    assert pacer.wait(999, 0.0) == pytest.approx(1 / 30)


def test_a_429_holds_every_chat_until_retry_after() -> None:
    pacer = Pacer(TelegramConfig(), now=0.0)
    pacer.pause(5, now=10.0)
    assert pacer.wait(1, 12.0) == pytest.approx(3.0)
    assert pacer.wait(1, 15.0) == 0


@pytest.mark.parametrize(("hours", "at", "quiet"), [
    ("22:00-07:00", time(23, 30), True), ("22:00-07:00", time(6, 59), True), ("22:00-07:00", time(7, 0), False),
    ("22:00-07:00", time(12, 0), False), ("12:00-13:00", time(12, 30), True), ("12:00-13:00", time(13, 0), False)])
def test_quiet_hours_wrap_midnight(hours: str, at: time, quiet: bool) -> None:
    assert Recipient(chat_id=1, quiet_hours=hours).is_quiet(at) is quiet


@pytest.mark.parametrize("bad", ["22-07", "25:00-07:00", "22:00", "07:00-07:00"])
def test_a_malformed_quiet_hours_value_is_named_in_the_error(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"quiet_hours|HH:MM"):
        Recipient(chat_id=1, quiet_hours=bad)


def test_a_chat_listed_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="chat_id 5 is listed twice"):
        TelegramConfig(recipients=[Recipient(chat_id=5), Recipient(chat_id=5)])


def test_long_text_is_split_at_line_ends_within_the_limit() -> None:
    text = "\n".join(f"line {i:04d}" for i in range(1000))
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text


def test_command_words() -> None:
    assert command_word("/halt@alerts_test_bot  spread too wide", "alerts_test_bot") == ("halt", "spread too wide")
    assert command_word("/status@other_bot", "alerts_test_bot") == ("", "/status@other_bot")
    assert command_word("hello") == ("", "hello")
