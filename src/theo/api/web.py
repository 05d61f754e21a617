"""The built dashboard (``web/dist``): static files, and ``index.html`` for every other non-API path (the
single-page app routes in the browser). Before ``make web`` has built it, ``/`` says how to."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

import theo
from theo.config.api import ApiConfig

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Theo</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Theo</h1><p>The dashboard is not built yet. Run <code>make web</code> in the repository (it builds
<code>web/dist</code>), then reload this page.</p>
<p>The API answers meanwhile: <a href="/docs">/docs</a>, <a href="/api/v1/health">/api/v1/health</a>.</p>
</body></html>"""


def web_dir(api: ApiConfig) -> Path:
    """``[api] web_dir``, or ``web/dist`` of the repository Theo runs from."""
    return api.web_dir if api.web_dir is not None else Path(theo.__file__).resolve().parents[2] / "web" / "dist"


def mount_dashboard(app: FastAPI, api: ApiConfig, api_prefix: str) -> None:
    """Add the catch-all route serving the dashboard (after every API route)."""
    root = web_dir(api).resolve()
    prefix = api_prefix.strip("/")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    def dashboard(path: str) -> Response:
        if path == prefix or path.startswith(prefix + "/"):
            return JSONResponse({"detail": f"no such API endpoint: /{path}; see /docs"}, status_code=404)
        index = root / "index.html"
        if not index.is_file():
            if path in ("", "index.html") or "." not in path.rsplit("/", 1)[-1]:
                return HTMLResponse(NOT_BUILT)
            return JSONResponse({"detail": "not found"}, status_code=404)
        target = (root / path).resolve()
        if path and target.is_relative_to(root) and target.is_file():
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            return FileResponse(target, headers={"Cache-Control": cache})
        if "." in path.rsplit("/", 1)[-1]:  # a missing file, not a page of the app
            return JSONResponse({"detail": "not found"}, status_code=404)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
