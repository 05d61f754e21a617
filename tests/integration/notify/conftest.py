"""The fake Bot API and a notifier configured against it (real python-telegram-bot over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.telegram import FakeBotApi
from theo.config import TheoConfig

TOKEN = "123456:TEST-token_abc"
TRADER, VIEWER, GROUP = 1001, 1002, -100200300


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("THEO_TELEGRAM_TOKEN", TOKEN)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    api = FakeBotApi((TOKEN,))
    api.start()
    yield api
    api.stop()


def telegram_config(fake: FakeBotApi, tmp_path: Any, recipients: list[dict[str, Any]] | None = None,
                    **telegram: Any) -> TheoConfig:
    """A config with ``[telegram]`` on the fake: a trader and a viewer by default, fast pacing, short polls."""
    section: dict[str, Any] = {
        "enabled": True, "base_url": fake.base_url, "poll_timeout": 1, "request_timeout": 3,
        "chat_per_second": 50.0, "chat_burst": 5, "retry_max_seconds": 0.5, "summary_delay_minutes": 0,
        "recipients": recipients if recipients is not None else [
            {"chat_id": TRADER, "name": "ops", "role": "trader"},
            {"chat_id": VIEWER, "name": "boss", "role": "viewer"}]}
    section.update(telegram)
    return TheoConfig.model_validate({"app": {"data_dir": str(tmp_path / "var")}, "telegram": section})


def texts(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [m.text for m in fake.messages(chat_id)]


