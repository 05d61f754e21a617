"""Exporting the deals report as CSV from the trades page."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import go, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def _deals(server: Server) -> dict[str, Any]:
    with server.api("viewer") as api:
        return dict(api.get("/deals", params={"limit": 1000}).json())


def test_exporting_the_deals_gives_a_csv_with_the_header_row_and_every_deal(
        page: Any, login: Any, shot: Any, theo_server: Server, tmp_path: Path) -> None:
    login(page, "viewer")
    wait_for("a deal on the synthetic market", lambda: _deals(theo_server)["total"], timeout=90)
    go(page, "trades")
    before = _deals(theo_server)
    shot(page, "trades")
    with page.expect_download() as download:
        page.get_by_test_id("btn-export-csv").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    after = _deals(theo_server)
    assert path.suffix == ".csv"
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    labels = [c["label"] for c in before["columns"]]
    keys = [c["key"] for c in before["columns"]]
    assert header in (labels, keys), header
    assert before["total"] <= len(rows) - 1 <= after["total"]
    exported = {row["trade_id"]: row for row in (dict(zip(keys, r, strict=True)) for r in rows[1:])}
    assert {d["trade_id"] for d in before["items"]} <= set(exported)
    # A completed deal no longer changes: the file says exactly what the report page says, column by column.
    completed = [d for d in before["items"] if d["status"] == "Completed"]
    for deal in completed:
        assert exported[deal["trade_id"]] == deal
