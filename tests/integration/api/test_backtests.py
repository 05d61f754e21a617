"""Backtests from the page: a background process runs `theo backtest`'s code; its metrics and deals are those of
`theo backtest` on the same config; at most two run at once; a failure is recorded with its text."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.integration.api.conftest import RecordingSink
from tests.integration.api.settings_fixtures import example_config, file_context
from theo.api.services.backtest_runner import BacktestRunner
from theo.api.services.context import ServiceContext
from theo.cli.main import app as cli

URL = "/api/v1/backtests"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    (tmp_path / "cfg").mkdir()
    return example_config(tmp_path / "cfg")


@pytest.fixture
def api_ctx(config_path: Path, api_store: Engine, api_events: RecordingSink) -> ServiceContext:
    return file_context(config_path, api_store, api_events)


def _wait(ctx: ServiceContext, run_id: int) -> None:
    runner = ctx.extras["backtests"]
    assert isinstance(runner, BacktestRunner)
    assert runner.wait(run_id, 120), f"backtest {run_id} did not finish"


@pytest.mark.slow
def test_a_backtest_from_the_page_equals_theo_backtest_and_compares(
        make_client: Callable[..., TestClient], api_ctx: ServiceContext, config_path: Path, tmp_path: Path,
        api_events: RecordingSink) -> None:
    trader = make_client("trader")
    first = trader.post(URL, json={"name": "example"})
    assert first.status_code == 202, first.text
    other = trader.post(URL, json={"strategies": {"corr-spy-qqq": {"correlation": {"threshold": 0.9}}}})
    assert other.status_code == 202, other.text
    third = trader.post(URL, json={})
    assert third.status_code == 409  # two run already
    assert "at most 2" in third.json()["detail"]
    a, b = first.json()["id"], other.json()["id"]
    _wait(api_ctx, a)
    _wait(api_ctx, b)
    run = trader.get(f"{URL}/{a}").json()
    assert run["status"] == "completed", run["error"]
    assert (run["progress"], run["name"], run["created_by"]) == (1.0, "example", trader.username)  # type: ignore[attr-defined]
    assert run["params"]["source"] == "synthetic"  # a fresh clone's example config: the synthetic market
    assert run["params"]["from"] == run["params"]["to"] == "2026-01-05"

    out = tmp_path / "cli-out"
    result = CliRunner().invoke(cli, ["backtest", "--config", str(config_path), "--synthetic", "--from",
                                      "2026-01-05", "--to", "2026-01-05", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert run["metrics"] == json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert run["metrics"]["trades"] > 0
    with (out / "deals.csv").open(encoding="utf-8", newline="") as fh:
        cli_deals = list(csv.DictReader(fh))
    deals = trader.get(f"{URL}/{a}/deals", params={"limit": 1000}).json()
    assert deals["items"] == cli_deals
    assert deals["total"] == len(cli_deals) == run["metrics"]["trades"]
    assert [c["key"] for c in deals["columns"]][:3] == ["trade_id", "strategy", "ss_type"]
    points = trader.get(f"{URL}/{a}/equity").json()["points"]
    assert points[-1]["equity"] == f"{run['metrics']['final_equity']:.2f}"
    assert all(p["drawdown"] <= 0 for p in points)

    progress = [d["progress"] for k, d in api_events.published if k == "backtest" and d["id"] == a]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert [d["status"] for k, d in api_events.published if k == "backtest" and d["id"] == a][-1] == "completed"

    compared = trader.get(f"{URL}/compare", params={"a": a, "b": b}).json()
    rows = {m["key"]: m for m in compared["metrics"]}
    run_b = trader.get(f"{URL}/{b}").json()
    assert rows["trades"]["a"] == run["metrics"]["trades"]
    assert rows["trades"]["b"] == run_b["metrics"]["trades"]
    assert rows["sharpe"]["label"] == "Sharpe"
    listed = trader.get(URL).json()
    assert [i["id"] for i in listed["items"]] == [b, a]
    assert listed["total"] == 2


@pytest.mark.slow
def test_a_failing_backtest_is_recorded_failed_with_its_error(make_client: Callable[..., TestClient],
                                                             api_ctx: ServiceContext) -> None:
    trader = make_client("trader")
    started = trader.post(URL, json={"source": "database"})  # no bars stored in this database
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    _wait(api_ctx, run_id)
    run = trader.get(f"{URL}/{run_id}").json()
    assert run["status"] == "failed"
    assert "no 1m bars of SPY" in run["error"]
    assert trader.get(f"{URL}/{run_id}/deals").status_code == 409


def test_a_bad_range_is_a_422_naming_the_field(make_client: Callable[..., TestClient]) -> None:
    trader = make_client("trader")
    backwards = trader.post(URL, json={"from": "2026-01-09", "to": "2026-01-05"})
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "to"
    not_a_date = trader.post(URL, json={"from": "5 Jan"})
    assert (not_a_date.status_code, not_a_date.json()["field"]) == (422, "from")
    too_long = trader.post(URL, json={"from": "2026-01-05", "to": "2026-06-30"})
    assert (too_long.status_code, too_long.json()["field"]) == (422, "to")
    bad_value = trader.post(URL, json={"strategies": {"corr-spy-qqq": {"swing_left": 0}}})
    assert (bad_value.status_code, bad_value.json()["field"]) == (422, "strategies.0.swing_left")
    unknown = trader.post(URL, json={"strategies": {"nope": {"swing_left": 3}}})
    assert unknown.status_code == 422
    assert trader.get(URL).json()["total"] == 0  # nothing was started


def test_a_viewer_may_not_start_a_backtest(make_client: Callable[..., TestClient]) -> None:
    viewer = make_client("viewer")
    assert viewer.post(URL, json={}).status_code == 403
    assert viewer.get(URL).json() == {"items": [], "total": 0, "running": []}
    assert viewer.get(f"{URL}/99").status_code == 404


def test_a_run_left_going_by_a_stopped_api_is_failed(make_client: Callable[..., TestClient],
                                                     api_store: Engine) -> None:
    from datetime import UTC, datetime

    from theo.api.services.backtest_runner import ABANDONED
    from theo.persistence.repositories.backtests import BacktestRunRepository

    repo = BacktestRunRepository(api_store)
    stale = repo.create(datetime.now(UTC), "alice", "before the restart", {})
    repo.update(stale, status="running", progress=0.4)
    run = make_client("viewer").get(f"{URL}/{stale}").json()
    assert (run["status"], run["error"], run["progress"]) == ("failed", ABANDONED, 0.4)
