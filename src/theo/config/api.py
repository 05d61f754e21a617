"""The ``[api]`` section: the dashboard's HTTP server (address, sessions, login limits, TLS, CORS)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from theo.config.base import Section


class ApiConfig(Section):
    """Where the dashboard and its API listen and how logins behave.

    ``theo run`` serves it beside the engine when ``enabled``; ``theo api`` serves it alone. Users and their
    passwords live in the database (``theo users create``), never here.
    """

    enabled: bool = Field(default=True, description="serve the dashboard and API inside `theo run`")
    host: str = Field(default="127.0.0.1", description="listen address; 0.0.0.0 only behind a reverse proxy")
    port: int = Field(default=8000, ge=0, le=65535, description="0: any free port (printed at start)")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90,
                                 description="a login session ends this long after its last request")
    login_max_failures: int = Field(default=5, ge=1, description="failed logins per user name and address ...")
    login_window_seconds: int = Field(default=300, ge=1, description="... within this window lock logins out")
    tls_cert: Path | None = Field(default=None, description="PEM certificate: serve https directly")
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert")
    cors_origins: list[str] = Field(default_factory=list, description="browser origins allowed cross-site")
    web_dir: Path | None = Field(default=None, description="the built dashboard (default: web/dist of the repo)")
    metrics_public: bool = Field(default=True, description="serve /metrics without a session (Prometheus "
                                 "scrapers have none); false: it needs a viewer session or bearer token")
    ready_stale_seconds: float = Field(default=120.0, gt=0, description="/readyz: a symbol whose session is open "
                                       "and that had no tick for this long is stale")
    ready_min_free_mb: int = Field(default=1000, ge=0, description="/readyz: free space under [app] data_dir "
                                   "below this many MB fails the disk check")
    ready_max_rss_mb: int = Field(default=4096, ge=1, description="/readyz: the process's resident memory above "
                                  "this many MB fails the memory check")

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: set both to serve https, or neither")
        return self

    @property
    def tls(self) -> bool:
        """True when the server speaks https itself (the session cookie is then marked Secure)."""
        return self.tls_cert is not None
