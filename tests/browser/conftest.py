"""The browser tests' world: a real `theo run` serving the built dashboard, Debian's Chromium, three users.

One `theo run` per session trades the synthetic market of ``config/theo.example.toml`` (paper broker) in a
temporary data dir, paced fast enough that a trade opens within seconds, with the API on a free port. One
Chromium per session (Playwright drives Debian's ``chromium``; nothing is downloaded); every test gets a fresh
context at 1366x768 and saves a screenshot of each page it visits to ``test-artifacts/screenshots``.

Without Chromium or the built dashboard (``make web``) the tests skip with what to do; with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
WEB_DIST = REPO / "web" / "dist"
VIEWPORT = {"width": 1366, "height": 768}
#: Simulated seconds per wall second: the first trade opens about 10 s after the start, and the suite's
#: three minutes cover most of one session.
SPEED = 120
THEO = [sys.executable, "-m", "theo.cli.main"]


def _unavailable(why: str) -> None:
    """Skip with ``why``; with ``CI=true`` fail instead (CI must run the browser tests)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} and CI=true")
    pytest.skip(why)


def chromium_path() -> str:
    """Debian's Chromium (``THEO_CHROMIUM`` overrides); skip or fail when absent."""
    explicit = os.environ.get("THEO_CHROMIUM")
    found = explicit or shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                                     else None)
    if not found or not Path(found).exists():
        _unavailable(f"Chromium is absent{f' at THEO_CHROMIUM={explicit}' if explicit else ''}: install it "
                     "with 'sudo apt-get install chromium' (make browser does it as root) or set THEO_CHROMIUM")
    return str(found)


@dataclass(frozen=True)
class User:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class Server:
    """A running `theo run` with its dashboard."""

    url: str
    config: Path
    data_dir: Path
    log: Path
    users: dict[str, User]
    proc: subprocess.Popen[bytes]

    def token(self, role: str) -> str:
        """A bearer token of the ``role`` user (scripts' way in; no CSRF)."""
        user = self.users[role]
        r = httpx.post(f"{self.url}/api/v1/auth/login", json={"username": user.username, "password": user.password})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def api(self, role: str = "admin") -> httpx.Client:
        """An HTTP client of the API logged in as the ``role`` user."""
        return httpx.Client(base_url=f"{self.url}/api/v1", timeout=30,
                            headers={"Authorization": f"Bearer {self.token(role)}"})

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _theo(args: list[str], env: dict[str, str], stdin: str | None = None) -> None:
    r = subprocess.run([*THEO, *args], cwd=REPO, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"theo {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"theo run exited with {proc.returncode} before serving the API:\n{log.read_text()[-3000:]}")
        try:
            r = httpx.get(f"{url}/api/v1/health", timeout=2)
            if r.status_code == 200 and r.json().get("status") == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"theo run did not answer {url}/api/v1/health within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def theo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`theo run` on a copy of the shipped example config (the strategy page writes to it), API on a free port."""
    if not (WEB_DIST / "index.html").is_file():
        _unavailable(f"the dashboard is not built ({WEB_DIST / 'index.html'} is absent): run 'make web'")
    root = tmp_path_factory.mktemp("theo-browser")
    config = root / "theo.toml"
    shutil.copyfile(REPO / "config" / "theo.example.toml", config)
    port = _free_port()
    users = {role: User(f"{role}-{secrets.token_hex(3)}", secrets.token_urlsafe(16), role)
             for role in ("admin", "trader", "viewer")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO_") and not k.startswith("THEO__")}
    env.update({"THEO__APP__DATA_DIR": str(root / "var"), "THEO__API__PORT": str(port),
                "THEO__API__HOST": "127.0.0.1", "COLUMNS": "200"})
    _theo(["db", "upgrade", "-c", str(config)], env)
    # The first admin comes from the environment (only while no user exists); the others from the command line.
    run_env = {**env, "THEO_ADMIN_USERNAME": users["admin"].username, "THEO_ADMIN_PASSWORD": users["admin"].password}
    log = root / "theo-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*THEO, "run", "-c", str(config), "--speed", str(SPEED)], cwd=REPO, env=run_env,
                                stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", config, root / "var", log, users, proc)
    try:
        _wait_healthy(server.url, proc, log)
        server.token("admin")  # the environment's admin exists before anyone else does
        for role in ("trader", "viewer"):
            user = users[role]
            _theo(["users", "create", user.username, "--role", role, "--password-stdin", "-c", str(config)], env,
                  stdin=user.password + "\n")
        yield server
    finally:
        _stop(proc)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """The screenshot folder, without this test's pictures of an earlier run. (Tests of one session may run in
    several xdist workers at once, so no test empties the whole folder.)"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{_test_name(request)}-*.png"):
        old.unlink(missing_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the test module.

    Per module, not per session: Playwright's sync API keeps an asyncio loop running in the thread while it is
    open, and the xdist worker that runs the browser tests runs other tests after them (``asyncio.run`` there
    would fail)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name.removeprefix("test_"))


@pytest.fixture
def context(browser: Any, theo_server: Server, screenshots: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) at 1366x768; a failing test leaves a screenshot of where it was."""
    ctx = browser.new_context(viewport=VIEWPORT, base_url=theo_server.url, accept_downloads=True,
                              color_scheme="dark")
    ctx.set_default_timeout(15_000)
    crashes: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda exc: crashes.append(f"{page.url}: {exc}")))
    yield ctx
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for i, page in enumerate(ctx.pages):
            page.screenshot(path=str(screenshots / f"{_test_name(request)}-failure{i or ''}.png"), full_page=True)
    ctx.close()
    # A page that throws is broken even when the test's checks passed.
    assert not crashes, "uncaught errors in the dashboard:\n" + "\n".join(crashes)


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest, screenshots: Path) -> Callable[[Any, str], Path]:
    """``shot(page, "overview")`` saves ``test-artifacts/screenshots/<test>-overview.png`` (the whole page)."""

    def save(page: Any, name: str) -> Path:
        path = screenshots / f"{_test_name(request)}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def login(theo_server: Server) -> Callable[[Any, str], User]:
    """``login(page, "trader")``: sign in through the login form and wait for the overview."""

    def sign_in(page: Any, role: str) -> User:
        user = theo_server.users[role]
        page.goto("/")
        page.get_by_test_id("login-username").fill(user.username)
        page.get_by_test_id("login-password").fill(user.password)
        page.get_by_test_id("login-submit").click()
        page.get_by_test_id("state-badge").wait_for()
        return user

    return sign_in


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
