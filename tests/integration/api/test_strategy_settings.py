"""Strategy settings from the API: the file is written (comments kept), validated by the loader, audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.api.conftest import RecordingSink
from tests.integration.api.settings_fixtures import example_config, file_context
from theo.api.services.context import ServiceContext
from theo.config.loader import load_config
from theo.core.errors import ConfigError

URL = "/api/v1/strategies"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return example_config(tmp_path)


@pytest.fixture
def api_ctx(config_path: Path, api_store: Engine, api_events: RecordingSink) -> ServiceContext:
    return file_context(config_path, api_store, api_events)


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_editing_the_threshold_writes_the_file_keeps_comments_and_is_audited(
        make_client: Callable[..., TestClient], config_path: Path) -> None:
    original = config_path.read_text(encoding="utf-8")
    trader = make_client("trader")
    answer = trader.put(f"{URL}/0", json={"values": {"correlation": {"threshold": 0.65, "window": 20}}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["values"]["correlation"]["threshold"] == 0.65
    assert body["applies"] == "restart"
    assert body["changed"] == {"correlation.threshold": 0.65}  # window was unchanged: not written
    text = config_path.read_text(encoding="utf-8")
    assert _comments(text) == _comments(original)
    assert "\nthreshold = 0.65\n" in text
    assert text.replace("threshold = 0.65", "threshold = 0.5") == original  # nothing else moved
    assert load_config(config_path).strategies[0].correlation.threshold == 0.65
    audit = trader.get("/api/v1/audit", params={"action": "strategy.update"}).json()
    assert audit["total"] == 1
    entry = audit["items"][0]
    assert entry["actor"] == trader.username  # type: ignore[attr-defined]
    assert entry["before"] == {"correlation.threshold": 0.5}
    assert entry["after"] == {"correlation.threshold": 0.65}
    listed = trader.get(URL).json()
    assert listed["items"][0]["values"]["correlation"]["threshold"] == 0.65
    assert listed["restart_pending"] is True  # the process still runs with 0.5


def test_a_bad_value_is_a_422_naming_the_field_with_the_loaders_message_and_the_file_is_unchanged(
        make_client: Callable[..., TestClient], config_path: Path, tmp_path: Path) -> None:
    original = config_path.read_bytes()
    trader = make_client("trader")
    answer = trader.put(f"{URL}/0", json={"values": {"correlation": {"threshold": 1.5}}})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["field"] == "correlation.threshold"
    bad = tmp_path / "bad"
    bad.mkdir()
    copy = example_config(bad, original.decode().replace("threshold = 0.5", "threshold = 1.5"))
    with pytest.raises(ConfigError) as cli:  # what `theo config validate` / `theo run` say about the same file
        load_config(copy)
    assert body["detail"] == str(cli.value).replace(str(copy), str(config_path))
    assert config_path.read_bytes() == original
    assert not [p for p in config_path.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left
    assert trader.get("/api/v1/audit", params={"action": "strategy.update"}).json()["total"] == 0


def test_a_bad_rule_and_a_changed_type_are_refused(make_client: Callable[..., TestClient]) -> None:
    trader = make_client("trader")
    rule = trader.put(f"{URL}/0", json={"values": {"entry_rules": ["close >"]}})
    assert rule.status_code == 422
    assert rule.json()["field"] == "entry_rules"
    kind = trader.put(f"{URL}/0", json={"values": {"type": "zscore_reversion"}})
    assert kind.status_code == 422
    assert kind.json()["field"] == "type"
    assert trader.put(f"{URL}/7", json={"values": {"swing_left": 3}}).status_code == 404


def test_a_viewer_reads_the_form_but_may_not_save(make_client: Callable[..., TestClient], config_path: Path) -> None:
    original = config_path.read_bytes()
    viewer = make_client("viewer")
    listed = viewer.get(URL)
    assert listed.status_code == 200
    body = listed.json()
    item = body["items"][0]
    assert (item["index"], item["name"], item["type"]) == (0, "corr-spy-qqq", "correlation")
    assert (item["values"]["primary"], item["values"]["timeframe"]) == ("SPY", "1m")
    props = body["schemas"]["correlation"]["properties"]
    for key in ("timeframe", "primary", "correlated", "correlation", "entry_rules", "exit_rules", "ss_type"):
        assert key in props
    assert body["schema"]["discriminator"]["propertyName"] == "type"
    assert body["config_path"] == str(config_path)
    denied = viewer.put(f"{URL}/0", json={"values": {"swing_left": 3}})
    assert denied.status_code == 403
    assert config_path.read_bytes() == original


def test_without_a_config_file_saving_is_a_409_saying_how(make_client: Callable[..., TestClient],
                                                           api_ctx: ServiceContext) -> None:
    api_ctx.config_path = None
    answer = make_client("trader").put(f"{URL}/0", json={"values": {"swing_left": 3}})
    assert answer.status_code == 409
    assert "--config" in answer.json()["detail"]


def test_a_key_the_environment_overrides_is_a_409(make_client: Callable[..., TestClient], config_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEO__RISK__TRADE__SWEEP_SECONDS", "3")
    answer = make_client("trader").put("/api/v1/settings/risk", json={"values": {"trade": {"sweep_seconds": 4}}})
    assert answer.status_code == 409
    assert "THEO__RISK__TRADE__SWEEP_SECONDS" in answer.json()["detail"]
    assert "sweep_seconds" not in config_path.read_text(encoding="utf-8").split("[risk.trade]")[-1].split("#")[0]


def test_secrets_are_never_written(make_client: Callable[..., TestClient], config_path: Path) -> None:
    original = config_path.read_bytes()
    answer = make_client("trader").put(f"{URL}/0", json={"values": {"password": "hunter22"}})
    assert answer.status_code == 422
    assert "hunter22" not in answer.text
    assert config_path.read_bytes() == original


def test_saving_the_form_unchanged_writes_nothing(make_client: Callable[..., TestClient], config_path: Path) -> None:
    original = config_path.read_bytes()
    trader = make_client("trader")
    values = trader.get(URL).json()["items"][0]["values"]
    answer = trader.put(f"{URL}/0", json={"values": values})
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"] == {}
    risk = trader.get("/api/v1/settings/risk").json()["values"]
    assert trader.put("/api/v1/settings/risk", json={"values": risk}).json()["changed"] == {}
    assert config_path.read_bytes() == original
    for action in ("strategy.update", "settings.risk.update"):
        assert trader.get("/api/v1/audit", params={"action": action}).json()["total"] == 0
