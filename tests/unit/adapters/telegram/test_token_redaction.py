"""TokenRedaction quiets httpx only while a bot runs: the last remove gives the process its httpx level back
(a left-over WARNING once hid every later httpx INFO line in the same process)."""

from __future__ import annotations

import logging

from tests.secrets_kit import bot_token
from theo.adapters.telegram.redaction import TokenRedaction

TOKEN_A = bot_token(123456789, "a")
TOKEN_B = bot_token(987654321, "b")


def test_httpx_is_quiet_while_any_redaction_is_active_and_restored_after_the_last() -> None:
    httpx = logging.getLogger("httpx")
    before = httpx.level
    httpx.setLevel(logging.DEBUG)
    try:
        a, b = TokenRedaction(TOKEN_A), TokenRedaction(TOKEN_B)
        a.install()
        b.install()
        assert httpx.level == logging.WARNING
        assert not httpx.isEnabledFor(logging.INFO)
        a.remove()
        assert httpx.level == logging.WARNING  # b's bot still runs
        b.remove()
        assert httpx.level == logging.DEBUG
        assert httpx.isEnabledFor(logging.INFO)
        b.remove()  # a second remove changes nothing
        assert httpx.level == logging.DEBUG
    finally:
        httpx.setLevel(before)


def test_a_token_in_a_record_is_redacted_only_while_installed() -> None:
    redaction = TokenRedaction(TOKEN_A)
    redaction.install()
    try:
        record = logging.getLogger("httpx").makeRecord("httpx", logging.INFO, __file__, 1, "POST /bot%s/getMe",
                                                       (TOKEN_A,), None)
        assert TOKEN_A not in record.getMessage()
    finally:
        redaction.remove()
    record = logging.getLogRecordFactory()("httpx", logging.INFO, __file__, 1, "POST /bot%s/getMe", (TOKEN_A,), None)
    assert TOKEN_A in record.getMessage()
