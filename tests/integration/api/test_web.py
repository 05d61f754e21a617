"""The built dashboard: files, the single-page fallback, the page shown before `make web`; the OpenAPI printer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from theo.config import TheoConfig


@pytest.fixture
def api_config(tmp_path: Path) -> TheoConfig:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>theo app</html>", encoding="utf-8")
    (dist / "assets" / "app-1a2b.js").write_text("console.log(1)", encoding="utf-8")
    return TheoConfig.model_validate({"api": {"web_dir": str(dist)}})


def test_the_built_dashboard_is_served_with_the_app_routes_falling_back_to_index(anon_client: TestClient) -> None:
    assert anon_client.get("/").text == "<html>theo app</html>"
    assert anon_client.get("/trades/42").text == "<html>theo app</html>"  # a page of the single-page app
    asset = anon_client.get("/assets/app-1a2b.js")
    assert asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert anon_client.get("/assets/missing.js").status_code == 404
    assert "root:" not in anon_client.get("/../../etc/passwd").text
    assert "root:" not in anon_client.get("/..%2f..%2fetc%2fpasswd").text
    api = anon_client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.json()["detail"].startswith("no such API endpoint")


def test_before_make_web_the_root_says_how_to_build_it(tmp_path: Path, api_store: object) -> None:
    from theo.api.app import create_app
    from theo.api.events import NoEvents
    from theo.api.services.context import ServiceContext

    cfg = TheoConfig.model_validate({"api": {"web_dir": str(tmp_path / "not-built")}})
    with TestClient(create_app(ServiceContext(config=cfg, store=api_store, events=NoEvents()))) as client:  # type: ignore[arg-type]
        page = client.get("/")
    assert page.status_code == 200
    assert "make web" in page.text


@pytest.mark.slow
def test_the_openapi_document_is_printed_for_the_client_generator() -> None:
    out = subprocess.run([sys.executable, "-m", "theo.api.openapi"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    doc = json.loads(out)
    assert doc["info"]["title"] == "Theo"
    assert {"/api/v1/auth/login", "/api/v1/state/halt", "/api/v1/overview", "/api/v1/system/logs"} <= set(doc["paths"])
    assert doc["components"]["schemas"]["Overview"]["properties"]["account_value"]["type"] == "string"


@pytest.mark.slow
def test_the_dashboard_client_is_generated_from_the_api_as_it_is() -> None:
    """web/openapi.json (the frontend's typed client is generated from it) is what the API serves today: a route
    or model changed without `make gen-api` fails here instead of in a trader's browser."""
    out = subprocess.run([sys.executable, "-m", "theo.api.openapi"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    committed = json.loads((Path(__file__).resolve().parents[3] / "web" / "openapi.json").read_text(encoding="utf-8"))
    assert json.loads(out) == committed, "web/openapi.json is stale: run `make gen-api` and commit the result"
