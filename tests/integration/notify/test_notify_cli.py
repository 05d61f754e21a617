"""`theo notify --test`: one message to every recipient, a report per chat, exit 1 when one did not get it; a
missing token is a one-line error naming the variable, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TRADER, VIEWER, texts
from theo.cli.main import app


def _config(tmp_path: Path, fake: FakeBotApi) -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(f"""
[app]
data_dir = "{tmp_path / 'var'}"
[telegram]
enabled = true
base_url = "{fake.base_url}"
[[telegram.recipients]]
chat_id = {TRADER}
name = "ops"
[[telegram.recipients]]
chat_id = {VIEWER}
name = "boss"
""", encoding="utf-8")
    return path


def test_notify_test_reports_each_chat_and_fails_for_a_blocked_one(tmp_path: Path, fake: FakeBotApi) -> None:
    fake.block(VIEWER)
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(_config(tmp_path, fake))])
    assert result.exit_code == 1, result.output
    assert f"ops ({TRADER}): sent" in result.output
    assert f"boss ({VIEWER}): NOT sent" in result.output
    assert texts(fake, TRADER) == ["Theo test message: alerts reach this chat."]
    assert "TEST-token_abc" not in result.output


def test_notify_without_the_token_says_which_variable(tmp_path: Path, fake: FakeBotApi,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THEO_TELEGRAM_TOKEN")
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(_config(tmp_path, fake))])
    assert result.exit_code != 0
    assert "environment variable THEO_TELEGRAM_TOKEN" in result.output
    assert "Traceback" not in result.output
    assert fake.requests == []


def test_run_notifier_serves_commands_and_bus_alerts_until_stopped(tmp_path: Path, fake: FakeBotApi) -> None:
    import threading

    from theo.cli.common import open_store
    from theo.config.loader import load_config
    from theo.core.bus.memory import InMemoryBus
    from theo.node.notify.service import run_notifier

    cfg = load_config(_config(tmp_path, fake))
    bus, stop = InMemoryBus(), threading.Event()
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(run_notifier(cfg, open_store(cfg), bus, stop)))
    thread.start()
    try:
        assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 1)  # "Theo started: notifier service"
        fake.push_message(TRADER, "/pnl")
        assert fake.wait_for(lambda: any(t.startswith("P&L (USD)") for t in texts(fake, TRADER)))
        bus.publish("alerts", {"level": "error", "text": "collector lost its feed", "source": "collector"})
        assert fake.wait_for(lambda: any(t.startswith("ERROR (collector): collector lost its feed")
                                         for t in texts(fake, VIEWER)))
    finally:
        stop.set()
        thread.join(15)
    got = texts(fake, TRADER)
    assert got[0].startswith("Theo started: notifier service")
    assert got[-1].startswith("Theo stopped: notifier service")
    assert len(done) == 1
