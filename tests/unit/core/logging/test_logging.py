"""structlog set-up: JSON lines off a terminal, secrets masked by key, rotation keeps backups."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from theo.config.app import LoggingConfig
from theo.core.logging import configure_logging, get_logger


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging(LoggingConfig(), stream=stream)
    get_logger("theo.test").info("order.accepted", order_id=7, symbol="SPY")
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["event"] == "order.accepted"
    assert record["order_id"] == 7
    assert record["level"] == "info"
    assert record["timestamp"].endswith("Z")


def test_readable_lines_on_a_terminal() -> None:
    stream = FakeTTY()
    configure_logging(LoggingConfig(), stream=stream)
    get_logger("theo.test").warning("feed.stale", symbol="SPY")
    line = stream.getvalue().strip().splitlines()[-1]
    assert "feed.stale" in line
    assert "symbol" in line
    assert not line.startswith("{")


def test_secrets_are_masked_by_key_even_nested() -> None:
    stream = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=stream)
    get_logger("theo.test").info("connect", password="hunter2", api_key="k", config={"bot_token": "t", "a": 1})
    out = stream.getvalue()
    assert "hunter2" not in out
    record = json.loads(out.strip().splitlines()[-1])
    assert record["password"] == "***"
    assert record["api_key"] == "***"
    assert record["config"] == {"bot_token": "***", "a": 1}


def test_level_filters_lower_records() -> None:
    stream = io.StringIO()
    configure_logging(LoggingConfig(level="WARNING", format="json"), stream=stream)
    log = get_logger("theo.test")
    log.info("quiet")
    log.error("loud")
    events = [json.loads(x)["event"] for x in stream.getvalue().strip().splitlines()]
    assert events == ["loud"]


def test_stdlib_loggers_go_through_the_same_pipeline() -> None:
    stream = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=stream)
    logging.getLogger("alembic").warning("plain %s", "stdlib")
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["event"] == "plain stdlib"


def test_rotation_makes_a_backup_file(tmp_path: Path) -> None:
    config = LoggingConfig(format="json", file=Path("logs/theo.log"), max_bytes=10_000, backup_count=2)
    configure_logging(config, data_dir=tmp_path, stream=io.StringIO())
    log = get_logger("theo.test")
    for i in range(200):
        log.info("filler", i=i, pad="x" * 100)
    path = tmp_path / "logs" / "theo.log"
    assert path.is_file()
    assert (tmp_path / "logs" / "theo.log.1").is_file()
    assert not (tmp_path / "logs" / "theo.log.3").exists()
    assert json.loads(path.read_text().splitlines()[-1])["event"] == "filler"


def test_configure_twice_does_not_duplicate_lines() -> None:
    stream = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=stream)
    configure_logging(LoggingConfig(format="json"), stream=stream)
    get_logger("theo.test").info("once")
    assert stream.getvalue().count('"once"') == 1


def test_one_shot_commands_show_warnings_on_the_terminal_and_keep_info_in_the_file(tmp_path: Path) -> None:
    stream = FakeTTY()
    configure_logging(LoggingConfig(file=tmp_path / "theo.log"), stream=stream, console_level="WARNING")
    log = get_logger("theo.ibkr")
    log.info("ibkr.link", link="ready")
    log.warning("ibkr.slow", seconds=3)
    for h in logging.getLogger().handlers:
        h.flush()
    assert "ibkr.slow" in stream.getvalue()
    assert "ibkr.link" not in stream.getvalue()  # no microsecond UTC line between the report's lines
    assert "ibkr.link" in (tmp_path / "theo.log").read_text()


def test_get_config_keeps_info_events_off_the_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from theo.cli.common import get_config

    monkeypatch.chdir(tmp_path)
    get_config(None)
    get_logger("theo.ibkr").info("ibkr.connected", port=4002)
    get_logger("theo.ibkr").error("ibkr.refused", port=4002)
    err = capsys.readouterr().err
    assert "ibkr.refused" in err
    assert "ibkr.connected" not in err


@pytest.mark.parametrize("structured", [True, False])
def test_a_lost_database_connection_logs_its_message_not_a_traceback(structured: bool) -> None:
    from theo.core.errors import StoreConnectionLost

    buf = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=buf)
    lost = StoreConnectionLost("lost the connection to the database postgresql://db/theo: terminating connection; "
                               "start the command again")
    for exc in (lost, ValueError("a bug")):
        try:
            raise exc
        except Exception:
            if structured:
                get_logger("theo.test").exception("handler.failed")
            else:
                logging.getLogger("theo.test").exception("handler failed")
    quiet, loud = (json.loads(line) for line in buf.getvalue().splitlines())
    assert "exception" not in quiet
    assert quiet["error"].startswith("lost the connection to the database postgresql://db/theo")
    assert quiet["level"] == "error"
    assert loud["exception"].startswith("Traceback (most recent call last)")  # a bug keeps its traceback
    assert "ValueError: a bug" in loud["exception"]
