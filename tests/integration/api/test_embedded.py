"""`theo run` serves the dashboard beside the engine (real HTTP and WebSocket on a free port); a taken port
stops it before the run is recorded."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
CONFIG = """
[app]
data_dir = "{data}"

[api]
port = {port}

[engine]
speed = 600

[[strategies]]
type = "donchian_breakout"
name = "d"
symbols = ["SPY", "QQQ"]
timeframe = "1m"
entry_period = 5
exit_period = 3
quantity = 10
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO_")}
    return env | {"THEO_ADMIN_USERNAME": "root", "THEO_ADMIN_PASSWORD": "embedded admin pw"}


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(CONFIG.format(data=tmp_path / "var", port=port), encoding="utf-8")
    return path


@pytest.mark.slow
def test_theo_run_serves_the_dashboard_and_stops_it_with_the_run(tmp_path: Path) -> None:
    from websockets.sync.client import connect

    proc = subprocess.Popen([sys.executable, "-m", "theo.cli.main", "run", "-c", str(_config(tmp_path, 0)),
                             "--duration", "60"], cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url is not None, "no dashboard line"
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/api/v1/health").json()["status"] == "ok"
            login = http.post("/api/v1/auth/login", json={"username": "root", "password": "embedded admin pw"})
            assert login.status_code == 200
            token = login.json()["token"]
            with connect(url.replace("http", "ws") + f"/api/v1/events?token={token}", open_timeout=10) as ws:
                kinds = set()
                until = time.monotonic() + 20
                while not {"tick", "pnl"} <= kinds and time.monotonic() < until:
                    kinds.add(json.loads(ws.recv(timeout=10))["kind"])
            assert {"tick", "pnl"} <= kinds
            overview = http.get("/api/v1/overview").json()
            assert overview["run"]["status"] == "running"
            assert overview["health"]["feed"]["status"] == "ok"
            halt = http.post("/api/v1/state/halt", json={"reason": "from the test"},
                             headers={"X-CSRF-Token": login.json()["csrf_token"]})
            assert halt.json()["state"] == "HALTED"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "embedded admin pw" not in err + out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/health", timeout=2)


@pytest.mark.slow
def test_a_taken_port_is_named_and_nothing_runs(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "theo.cli.main", "run", "-c", str(_config(tmp_path, port)),
                            "--duration", "5"], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120,
                           check=False)
    assert r.returncode == 2
    message = " ".join(r.stderr.split())
    assert f"port {port} is already in use" in message
    assert "[api] port" in message
    assert "THEO__API__PORT" in message
    assert "Traceback" not in r.stderr
    status = subprocess.run([sys.executable, "-m", "theo.cli.main", "status", "-c", str(_config(tmp_path, port))],
                            cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60, check=False)
    assert "no engine run recorded yet" in status.stderr


@pytest.mark.slow
def test_theo_api_serves_the_database_without_an_engine(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "theo.cli.main", "api", "-c", str(_config(tmp_path, 0))],
                            cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert found is not None
        url = found.group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{url}/api/v1/health", timeout=2)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        token = httpx.post(f"{url}/api/v1/auth/login", json={"username": "root", "password": "embedded admin pw"}
                           ).json()["token"]
        overview = httpx.get(f"{url}/api/v1/overview", headers={"Authorization": f"Bearer {token}"}).json()
        assert overview["run"] is None
        assert overview["account_value"] == "100000.00"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
