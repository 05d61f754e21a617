"""Log rotation keeps exactly the newest lines, journald (native protocol) and syslog receive redacted JSON lines,
and no secret survives into any destination. The journal and syslog are real sockets in a temporary folder or on
127.0.0.1, read the way journald and a syslog daemon read them."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.secrets_kit import bot_token
from theo.config.app import LoggingConfig
from theo.config.loader import load_config
from theo.core.errors import ConfigError
from theo.core.log_sinks import JournaldHandler, encode_fields, priority
from theo.core.logging import configure_logging, get_logger

TOKEN = bot_token(123456789, "shipping")
DB_PASSWORD = 'pa"ss\\word-9f3e'  # a quote and a backslash: escaped inside JSON strings
API_KEY = "ak_live_5b7c0d2e"


def parse_journal(data: bytes) -> dict[str, str]:
    """Read one entry of the native journal protocol, as journald does."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            fields[name.decode()] = value.decode()
            i = nl + 1
        else:
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            fields[line.decode()] = data[nl + 9:nl + 9 + size].decode()
            assert data[nl + 9 + size:nl + 10 + size] == b"\n"
            i = nl + 10 + size
    return fields


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[tuple[Path, socket.socket]]:
    path = tmp_path / "journal.socket"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    yield path, server
    server.close()


def _receive(server: socket.socket) -> dict[str, str]:
    data, fds, _flags, _addr = socket.recv_fds(server, 1 << 16, 1)
    if fds:  # a large entry came as a sealed memfd
        with os.fdopen(fds[0], "rb") as f:
            f.seek(0)  # journald maps the file from its start; the offset is shared with the sender's write
            data = f.read()
    return parse_journal(data)


def test_rotation_keeps_the_newest_lines_in_order_and_no_more_backups_than_configured(tmp_path: Path) -> None:
    config = LoggingConfig(format="json", file=Path("theo.log"), max_bytes=10_000, backup_count=2)
    configure_logging(config, data_dir=tmp_path, stream=io.StringIO())
    log = get_logger("theo.test")
    for i in range(600):
        log.info("filler", i=i, pad="x" * 80)
    files = [tmp_path / "theo.log.2", tmp_path / "theo.log.1", tmp_path / "theo.log"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theo.log", "theo.log.1", "theo.log.2"]
    numbers = [json.loads(line)["i"] for f in files for line in f.read_text().splitlines()]
    assert numbers == list(range(numbers[0], 600))  # oldest backup to current file: contiguous, nothing lost
    assert numbers[0] > 0  # older lines were rotated out
    for f in files:
        assert f.stat().st_size <= 10_000


def test_journald_gets_priority_identifier_and_the_json_line(journal: tuple[Path, socket.socket]) -> None:
    path, server = journal
    configure_logging(LoggingConfig(journald=True, journald_socket=path, identifier="theo-trader"),
                      stream=io.StringIO())
    get_logger("theo.feed").warning("feed.stale", symbol="SPY", note="line one\nline two")
    entry = _receive(server)
    assert entry["PRIORITY"] == "4"
    assert entry["SYSLOG_IDENTIFIER"] == "theo-trader"
    assert entry["SYSLOG_PID"] == str(os.getpid())
    assert entry["THEO_LOGGER"] == "theo.feed"
    message = json.loads(entry["MESSAGE"])
    assert (message["event"], message["symbol"], message["note"]) == ("feed.stale", "SPY", "line one\nline two")


def test_a_multiline_value_uses_the_length_prefixed_form() -> None:
    data = encode_fields({"MESSAGE": "a\nb", "PRIORITY": "6"})
    assert data == b"MESSAGE\n" + struct.pack("<Q", 3) + b"a\nb\nPRIORITY=6\n"
    assert parse_journal(data) == {"MESSAGE": "a\nb", "PRIORITY": "6"}


def test_an_entry_larger_than_a_datagram_goes_as_a_sealed_memfd(journal: tuple[Path, socket.socket]) -> None:
    path, server = journal
    configure_logging(LoggingConfig(journald=True, journald_socket=path), stream=io.StringIO())
    big = "y" * 400_000
    get_logger("theo.test").error("big.entry", blob=big)
    entry = _receive(server)
    assert entry["PRIORITY"] == "3"
    assert json.loads(entry["MESSAGE"])["blob"] == big


def test_priorities_follow_syslog() -> None:
    assert [priority(x) for x in (10, 20, 25, 30, 40, 50)] == [7, 6, 6, 4, 3, 2]


def test_journald_on_a_host_without_it_is_a_clear_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "no.socket"
    with pytest.raises(ConfigError, match=r"journald = true, but .*no\.socket does not exist"):
        JournaldHandler(missing)
    stream = io.StringIO()
    configure_logging(LoggingConfig(format="json"), stream=stream)
    with pytest.raises(ConfigError):
        configure_logging(LoggingConfig(journald=True, journald_socket=missing), stream=stream)
    get_logger("theo.test").info("still.logging")  # the refused config left the working one in place
    assert "still.logging" in stream.getvalue()


def test_syslog_over_udp_gets_the_tagged_json_line_with_facility_and_severity() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    port = server.getsockname()[1]
    try:
        configure_logging(LoggingConfig(syslog_address=f"127.0.0.1:{port}", syslog_facility="local3"),
                          stream=io.StringIO())
        get_logger("theo.risk").warning("risk.halted", reason="drawdown")
        data = server.recv(65536).decode()
    finally:
        server.close()
    head = f"<{19 * 8 + 4}>theo[{os.getpid()}]: "  # local3 = 19, warning = 4
    assert data.startswith(head)
    record = json.loads(data[len(head):].rstrip("\x00"))
    assert (record["event"], record["reason"], record["level"]) == ("risk.halted", "drawdown", "warning")


def test_syslog_on_a_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "log"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    try:
        configure_logging(LoggingConfig(syslog_address=str(path)), stream=io.StringIO())
        get_logger("theo.test").info("hello")
        data = server.recv(65536).decode()
    finally:
        server.close()
    assert data.startswith(f"<14>theo[{os.getpid()}]: {{")  # user = 1, info = 6


@pytest.mark.parametrize("address", ["localhost", "host:0", "host:99999", ":514"])
def test_a_bad_syslog_address_is_named(address: str) -> None:
    with pytest.raises(ConfigError, match=r"syslog_address = .*: give a Unix socket path such as /dev/log"):
        configure_logging(LoggingConfig(syslog_address=address), stream=io.StringIO())


def test_an_unknown_facility_is_named() -> None:
    with pytest.raises(ConfigError, match="syslog_facility = 'kernel-ish'"):
        configure_logging(LoggingConfig(syslog_address="127.0.0.1:514", syslog_facility="kernel-ish"),
                          stream=io.StringIO())


@pytest.fixture
def httpx_at_info() -> Iterator[None]:
    """httpx's INFO request line must reach the handlers whatever an earlier test in this worker left on that
    logger (a Telegram bot quiets httpx while it runs); setLevel, not an attribute patch, so the level cache
    is cleared both ways."""
    httpx_logger = logging.getLogger("httpx")
    before = httpx_logger.level
    httpx_logger.setLevel(logging.NOTSET)
    yield
    httpx_logger.setLevel(before)


@pytest.mark.usefixtures("httpx_at_info")
def test_no_secret_reaches_the_terminal_the_file_the_journal_or_syslog(
        tmp_path: Path, journal: tuple[Path, socket.socket], monkeypatch: pytest.MonkeyPatch) -> None:
    path, server = journal
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(5)
    monkeypatch.setenv("THEO__DATABASE__PASSWORD", DB_PASSWORD)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("VENDOR_API_KEY", API_KEY)
    cfg = load_config(None)  # remembers THEO__ secrets, as every command does
    assert cfg.database.password is not None
    stream = io.StringIO()
    configure_logging(LoggingConfig(level="DEBUG", format="json", file=Path("theo.log"), journald=True,
                                    journald_socket=path, syslog_address=f"127.0.0.1:{udp.getsockname()[1]}"),
                      data_dir=tmp_path, stream=stream)
    log = get_logger("theo.test")
    log.info(f"connecting with {DB_PASSWORD}")
    log.info("connect", url=f"postgresql://theo:{DB_PASSWORD}@db/theo", extra={"nested": [API_KEY]})
    logging.getLogger("httpx").info('HTTP Request: POST https://api.telegram.org/bot%s/getUpdates "200 OK"', TOKEN)
    try:
        raise RuntimeError(f"auth failed for {API_KEY}")
    except RuntimeError:
        logging.getLogger("theo.test").exception("call failed")
    sent = 4
    for h in logging.getLogger().handlers:
        h.flush()
    journal_lines = [json.dumps(_receive(server)) for _ in range(sent)]
    syslog_lines = [udp.recv(65536).decode() for _ in range(sent)]
    udp.close()
    file_lines = (tmp_path / "theo.log").read_text().splitlines()
    every = [*stream.getvalue().splitlines(), *file_lines, *journal_lines, *syslog_lines]
    assert len(file_lines) == sent
    assert "Traceback" in file_lines[-1]
    assert "auth failed for ***" in file_lines[-1]
    assert "/bot***/getUpdates" in file_lines[2]
    for secret in (DB_PASSWORD, json.dumps(DB_PASSWORD)[1:-1], TOKEN, TOKEN.split(":")[1], API_KEY):
        leaks = [line for line in every if secret in line]
        assert leaks == [], f"{secret!r} leaked"
