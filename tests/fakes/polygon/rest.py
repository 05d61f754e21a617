"""The fake's REST side: ``/v2/aggs``, ``/v3/trades`` and the reference endpoints ``/v3/reference/splits`` and
``/v3/reference/dividends``, with pagination, rate limits and errors (§2.5).

It runs a ``ThreadingHTTPServer`` on its own thread, because the ``massive`` REST client is synchronous
(urllib3): a test can call it from plain code or from a worker thread of its event loop alike.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")
SPAN_MS = {"second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}


@dataclass
class RestRequest:
    path: str
    query: dict[str, str]
    status: int
    authorized: bool


@dataclass
class RestState:
    """What the REST side serves and the faults it injects (mutate from tests)."""

    keys: set[str]
    aggs: dict[tuple[str, int, str, bool], list[dict[str, Any]]] = field(default_factory=dict)
    trades: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Reference records as the API returns them (``ticker``, ``execution_date``/``ex_dividend_date``, ...).
    splits: list[dict[str, Any]] = field(default_factory=list)
    dividends: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 50_000
    delay: float = 0.0
    #: (status, Retry-After or "", body) answers served before any real one, first first.
    faults: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    requests: list[RestRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _bound_ms(text: str, end: bool) -> int:
    """``from``/``to`` of the aggregates path: epoch ms, or a YYYY-MM-DD day (whole day, ET)."""
    if text.isdigit():
        return int(text)
    day = date.fromisoformat(text)
    moment = datetime.combine(day + timedelta(days=1) if end else day, dtime(0), tzinfo=ET)
    return round(moment.timestamp() * 1000) - (1 if end else 0)


def _cursor(offset: int, query: dict[str, str]) -> str:
    """As the real API does, the cursor carries the first request's query (next_url has no other parameter)."""
    state = {k: v for k, v in query.items() if k not in ("cursor", "apiKey")} | {"offset": str(offset)}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _uncursor(query: dict[str, str]) -> dict[str, str]:
    if "cursor" not in query:
        return query
    restored: dict[str, str] = json.loads(base64.urlsafe_b64decode(query["cursor"].encode()))
    return restored


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        bearer = self.headers.get("Authorization", "")
        key = bearer[len("Bearer "):] if bearer.startswith("Bearer ") else query.get("apiKey", "")
        authorized = key in state.keys
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            fault = state.faults.pop(0) if state.faults else None
        if not authorized:
            status, body, headers = 401, {"status": "NOT_AUTHORIZED", "request_id": "fake",
                                          "message": "Unknown API Key"}, {}
        elif fault is not None:
            status, body = fault[0], fault[2]
            headers = {"Retry-After": fault[1]} if fault[1] else {}
        else:
            status, body, headers = self._route(parts.path, _uncursor(query))
        with state.lock:
            state.requests.append(RestRequest(parts.path, query, status, authorized))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        seg = path.strip("/").split("/")
        if len(seg) == 9 and seg[:3] == ["v2", "aggs", "ticker"] and seg[4] == "range":
            return self._aggs(seg[3], int(seg[5]), seg[6], seg[7], seg[8], query)
        if len(seg) == 3 and seg[:2] == ["v3", "trades"]:
            return self._trades(seg[2], query)
        if seg == ["v3", "reference", "splits"]:
            return self._reference(self.server.state.splits, "execution_date", query, path)
        if seg == ["v3", "reference", "dividends"]:
            return self._reference(self.server.state.dividends, "ex_dividend_date", query, path)
        return 404, {"status": "NOT_FOUND", "request_id": "fake", "message": f"no route {path}"}, {}

    def _page(self, rows: list[dict[str, Any]], query: dict[str, str], path: str) -> tuple[list[dict[str, Any]], str]:
        state = self.server.state
        start = int(query.get("offset", 0))
        size = min(int(query.get("limit", 5000)), state.page_size)
        page = rows[start:start + size]
        more = start + size < len(rows)
        # Any host: the client keeps only the path and query of next_url (it re-prefixes its own base).
        next_url = f"https://api.massive.com{path}?cursor={_cursor(start + size, query)}" if more else ""
        return page, next_url

    def _aggs(self, ticker: str, mult: int, span: str, frm: str, to: str,
              query: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if span not in SPAN_MS:
            return 400, {"status": "ERROR", "request_id": "fake", "error": f"unknown timespan {span}"}, {}
        adjusted = query.get("adjusted", "true") != "false"
        state = self.server.state
        rows = state.aggs.get((ticker, mult, span, adjusted), state.aggs.get((ticker, mult, span, True), []))
        lo, hi = _bound_ms(frm, False), _bound_ms(to, True)
        rows = sorted((r for r in rows if lo <= r["t"] <= hi), key=lambda r: r["t"],
                      reverse=query.get("sort") == "desc")
        page, next_url = self._page(rows, query, f"/v2/aggs/ticker/{ticker}/range/{mult}/{span}/{frm}/{to}")
        body: dict[str, Any] = {"ticker": ticker, "queryCount": len(page), "resultsCount": len(page),
                                "adjusted": adjusted, "status": "OK", "request_id": "fake"}
        if page:
            body["results"] = page  # the real API omits "results" when there is nothing
        if next_url:
            body["next_url"] = next_url
        return 200, body, {}

    def _reference(self, rows: list[dict[str, Any]], day: str, query: dict[str, str],
                   path: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Records filtered by ``ticker`` and ``<day>.gte``/``.lte`` (YYYY-MM-DD), sorted by ``day``."""
        ticker = query.get("ticker")
        lo, hi = query.get(f"{day}.gte", ""), query.get(f"{day}.lte", "9999-12-31")
        picked = sorted((r for r in rows if (ticker is None or r.get("ticker") == ticker) and lo <= r[day] <= hi),
                        key=lambda r: str(r[day]), reverse=query.get("order") == "desc")
        page, next_url = self._page(picked, query, path)
        body: dict[str, Any] = {"status": "OK", "request_id": "fake", "results": page}
        if next_url:
            body["next_url"] = next_url
        return 200, body, {}

    def _trades(self, ticker: str, query: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        rows = self.server.state.trades.get(ticker, [])
        lo = int(query.get("timestamp.gte", 0))
        hi = int(query.get("timestamp.lt", 2**63 - 1))
        rows = sorted((r for r in rows if lo <= r["sip_timestamp"] < hi), key=lambda r: r["sip_timestamp"],
                      reverse=query.get("order") == "desc")
        page, next_url = self._page(rows, query, f"/v3/trades/{ticker}")
        body: dict[str, Any] = {"status": "OK", "request_id": "fake", "results": page}
        if next_url:
            body["next_url"] = next_url
        return 200, body, {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: RestState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (its read timeout) leaves a broken pipe: expected, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RestSide:
    """The REST server on a thread; ``url`` is its base (``http://127.0.0.1:<port>``)."""

    def __init__(self, state: RestState) -> None:
        self.state = state
        self._server = _Server(state)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-polygon-rest",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
