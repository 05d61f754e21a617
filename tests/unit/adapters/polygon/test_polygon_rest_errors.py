"""How exhausted retries are worded: a 429 only when urllib3 gave up on 429 answers, never because "429" is in
the text (a read timeout names the host and port, and the fake's port is random: 42913 once made a timeout
read as a rate limit)."""

from __future__ import annotations

import pytest
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError

from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.errors import PolygonRestError
from theo.adapters.polygon.history import PolygonHistory

ENV = "THEO_TEST_POLYGON_ERRORS_KEY"


def _raising(exc: Exception) -> object:
    def call(client: object) -> list[object]:
        raise exc
    return call


@pytest.mark.parametrize("port", [42913, 34290, 8429])
def test_a_read_timeout_on_a_port_holding_429_is_a_timeout_not_a_rate_limit(monkeypatch: pytest.MonkeyPatch,
                                                                           port: int) -> None:
    monkeypatch.setenv(ENV, "pk-unit")
    history = PolygonHistory(PolygonConfig(api_key_env=ENV, rest_retries=1))
    pool = HTTPConnectionPool("127.0.0.1", port)
    timeout = ReadTimeoutError(pool, "/v2/aggs", "Read timed out. (read timeout=0.1)")
    with pytest.raises(PolygonRestError) as info:
        history._pages("Polygon aggregates of SPY", _raising(MaxRetryError(pool, "/v2/aggs", timeout)))
    assert f"port={port}" in str(info.value)
    assert "Read timed out" in str(info.value)
    assert "rate limited" not in str(info.value)


def test_retries_run_out_on_429_answers_is_a_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "pk-unit")
    history = PolygonHistory(PolygonConfig(api_key_env=ENV, rest_retries=2))
    pool = HTTPConnectionPool("127.0.0.1", 80)
    for status, expected in ((429, "rate limited (429) after 2 retries"), (503, "too many 503 error responses")):
        reason = ResponseError(ResponseError.SPECIFIC_ERROR.format(status_code=status))
        with pytest.raises(PolygonRestError) as info:
            history._pages("Polygon trades of SPY", _raising(MaxRetryError(pool, "/v3/trades/SPY", reason)))
        assert expected in str(info.value)
