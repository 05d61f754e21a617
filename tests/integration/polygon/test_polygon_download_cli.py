"""`theo data download --source polygon`: REST minute bars into the store, resumable, with clear errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.fakes.polygon import payloads as pl
from tests.fakes.polygon.rest import RestSide, RestState
from tests.integration.polygon.rig import KEY, KEY_ENV, T0
from theo.cli.main import app
from theo.model.enums import SessionKind
from theo.persistence.repositories import connect
from theo.persistence.repositories.bars import BarRepository

PRE = T0.replace(hour=13)  # 08:00 ET


def cells(text: str) -> str:
    return " ".join("".join(" " if c in "┏┳┓┃┡╇┩│└┴┘━─" else c for c in text).split())


def theo(tmp_path: Path, rest_url: str, *args: str, key: str | None = KEY) -> Result:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[logging]\nlevel = "ERROR"\n'
                   f'[polygon]\napi_key_env = "{KEY_ENV}"\nrest_url = "{rest_url}"\nrest_retries = 2\n'
                   f'rest_backoff_seconds = 0.01\nrest_retry_after_max_seconds = 1\n', encoding="utf-8")
    env = {k: "" for k in os.environ if k.startswith("THEO_") or k in ("POLYGON_API_KEY", "MASSIVE_API_KEY")}
    env[KEY_ENV] = key or ""
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return CliRunner().invoke(app, [*args, "--config", str(cfg)], env=env, catch_exceptions=False)


@pytest.fixture
def rest() -> Iterator[RestSide]:
    side = RestSide(RestState({KEY}))
    side.start()
    yield side
    side.stop()


def test_download_writes_polygon_bars_and_a_rerun_adds_nothing(tmp_path: Path, rest: RestSide) -> None:
    rows = [pl.rest_agg(PRE.replace(minute=i), 600 + i, 601 + i, 599 + i, 600.5 + i, 1000 + i, 5) for i in range(3)]
    rows += [pl.rest_agg(T0.replace(minute=i), 610 + i, 611 + i, 609 + i, 610.5 + i, 2000, 9) for i in range(4)]
    rest.state.aggs[("SPY", 1, "minute", False)] = rows
    rest.state.faults = [(429, "0", {"status": "ERROR", "error": "too many requests"})]
    args = ("data", "download", "SPY", "--from", "2024-03-02", "--to", "2024-03-04", "--source", "polygon")
    first = theo(tmp_path, rest.url, *args)
    asked = len(rest.state.requests)
    again = theo(tmp_path, rest.url, *args)
    assert first.exit_code == 0, first.output
    # one 20-day window (Sat 2 .. Mon 4 ET): asked once (after one 429), 7 bars
    assert "SPY 1 1 0 0 7 7" in cells(first.stdout)
    assert asked == 2
    assert rest.state.requests[0].status == 429
    assert rest.state.requests[1].query["adjusted"] == "false"
    bars = BarRepository(connect(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")).stored_bars("SPY", "1m")
    assert [(b.start, b.open, b.volume, b.source) for b in bars[:1]] == [(PRE, 600.0, 1000.0, "polygon")]
    assert [b.session for b in bars] == [SessionKind.PRE] * 3 + [SessionKind.REGULAR] * 4
    assert again.exit_code == 0, again.output
    assert "SPY 1 0 1 0 0 0" in cells(again.stdout)  # stored: skipped without a request
    assert len(rest.state.requests) == asked


def test_download_regular_hours_only(tmp_path: Path, rest: RestSide) -> None:
    rest.state.aggs[("QQQ", 5, "minute", False)] = [pl.rest_agg(PRE, 1, 2, 0.5, 1.5, 10, 1),
                                                    pl.rest_agg(T0, 3, 4, 2.5, 3.5, 20, 2)]
    result = theo(tmp_path, rest.url, "data", "download", "QQQ", "--from", "2024-03-04", "--bar-size", "5m",
                  "--to", "2024-03-04", "--rth", "--source", "polygon")
    assert result.exit_code == 0, result.output
    assert "QQQ 1 1 0 0 1 1" in cells(result.stdout)


@pytest.mark.parametrize(("args", "key", "message"), [
    (("--bar-size", "1h"), KEY, "bar size '1h' cannot be downloaded from Polygon"),
    (("--what-to-show", "MIDPOINT"), KEY, "built from trades only"),
    (("--source", "bloomberg"), KEY, "--source 'bloomberg': use ibkr or polygon"),
    ((), None, f"set the environment variable {KEY_ENV}"),
    ((), "refused-key-55", f"${KEY_ENV} was refused"),
])
def test_download_bad_input_is_a_clear_error(tmp_path: Path, rest: RestSide, args: tuple[str, ...],
                                             key: str | None, message: str) -> None:
    base = {"--from": "2024-03-04", "--to": "2024-03-04", "--source": "polygon"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = theo(tmp_path, rest.url, "data", "download", "SPY", *[x for kv in base.items() for x in kv], key=key)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert message in text
    assert "refused-key-55" not in text
    assert "Traceback" not in text
