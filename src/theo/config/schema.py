"""The root of Theo's configuration: one file composed of the components' typed sections."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field, model_validator

from theo.adapters.polygon.config import PolygonConfig
from theo.config.api import ApiConfig
from theo.config.app import AppConfig, DatabaseConfig, LoggingConfig
from theo.config.base import Section
from theo.config.bus import BusConfig, ServicesConfig
from theo.config.market import MarketConfig
from theo.config.telegram import TelegramConfig
from theo.data.config import MarketDataConfig
from theo.data.failover.config import FeedsConfig
from theo.execution.config import ExecutionConfig
from theo.node.config import EngineConfig
from theo.node.services.collector_config import CollectorConfig
from theo.persistence.archive.config import ArchiveConfig
from theo.risk.config import RiskConfig
from theo.strategy.config import StrategyConfig
from theo.strategy.scanner.config import ScannerConfig, check_bindings


class TheoConfig(Section):
    """Everything Theo can be told. Every section has U.S.-market defaults, so an empty file is valid."""

    app: AppConfig = AppConfig()
    database: DatabaseConfig = DatabaseConfig()
    logging: LoggingConfig = LoggingConfig()
    market: MarketConfig = MarketConfig()
    marketdata: MarketDataConfig = MarketDataConfig()
    feeds: FeedsConfig = FeedsConfig()
    archive: ArchiveConfig = ArchiveConfig()
    strategies: list[StrategyConfig] = Field(default_factory=list)
    scanner: ScannerConfig = ScannerConfig()
    execution: ExecutionConfig = ExecutionConfig()
    risk: RiskConfig = RiskConfig()
    engine: EngineConfig = EngineConfig()
    api: ApiConfig = ApiConfig()
    telegram: TelegramConfig = TelegramConfig()
    collector: CollectorConfig = CollectorConfig()
    polygon: PolygonConfig = PolygonConfig()
    bus: BusConfig = BusConfig()
    services: ServicesConfig = ServicesConfig()

    @model_validator(mode="after")
    def _scanners_bound(self) -> TheoConfig:
        # Scanners name strategies and their symbols: only the root sees both sections.
        check_bindings(self.scanner, self.strategies)
        return self

    def database_url(self) -> str:
        """The SQLAlchemy URL with the secret password inserted (never log the result)."""
        url = self.database.url or f"sqlite:///{self.app.data_dir / 'theo.db'}"
        pw = self.database.password
        if pw is not None and url.startswith("postgresql") and "@" in url:
            scheme, rest = url.split("//", 1)
            userinfo, host = rest.split("@", 1)
            # Quoted: a password holding '@', '/' or ':' would otherwise be read as part of the host.
            url = f"{scheme}//{userinfo}:{quote(pw.get_secret_value(), safe='')}@{host}"
        return url
