"""`theo service install` writes notify units with a watchdog, restart on failure and the deploy unit's hardening;
`theo service run` refuses what it cannot do with a clear message."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import REPO
from theo.cli.main import app
from theo.node.services import SERVICES
from theo.node.services.units import HARDENING, UnitSettings, service_unit, write_units

runner = CliRunner()


def _settings(tmp_path: Path, user: bool = False) -> UnitSettings:
    return UnitSettings(exe=Path("/opt/theo/.venv/bin/theo"), config=Path("/etc/theo/theo.toml"),
                        workdir=Path("/var/lib/theo"), user=user, watchdog_seconds=20)


def _keys(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_every_service_unit_is_notify_with_watchdog_restart_and_the_deploy_hardening(tmp_path: Path) -> None:
    deploy = _keys((REPO / "deploy" / "theo.service").read_text())
    hardening = {k for k in _keys(HARDENING.format(workdir="/var/lib/theo"))}
    assert hardening <= set(deploy)  # the same options as deploy/theo.service
    for name in SERVICES:
        unit = _keys(service_unit(name, _settings(tmp_path)))
        assert unit["Type"] == ["notify"]
        assert unit["WatchdogSec"] == ["20"]
        assert unit["Restart"] == ["on-failure"]
        assert unit["ExecStart"] == [f"/opt/theo/.venv/bin/theo service run {name} --config /etc/theo/theo.toml"]
        assert unit["User"] == ["theo"]
        assert unit["Requires"] == ["theo-db-upgrade.service"]
        assert unit["WantedBy"] == ["theo-services.target"]
        assert unit["PartOf"] == ["theo-services.target"]
        for key in hardening - {"ReadWritePaths"}:
            assert unit[key] == deploy[key], key
    user = _keys(service_unit("trader", _settings(tmp_path, user=True)))
    assert "User" not in user
    assert "ProtectSystem" not in user
    assert user["NoNewPrivileges"] == ["yes"]


def test_install_writes_the_units_and_the_target(tmp_path: Path) -> None:
    config = tmp_path / "theo.toml"
    config.write_text('[bus]\nkind = "nats"\n\n[services]\nwatchdog_seconds = 45\n')
    result = runner.invoke(app, ["service", "install", "--user", "--dir", str(tmp_path / "units"), "--config",
                                 str(config), "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "units").iterdir())
    assert names == sorted([*(f"theo-{n}.service" for n in SERVICES), "theo-db-upgrade.service",
                            "theo-services.target"])
    target = _keys((tmp_path / "units" / "theo-services.target").read_text())
    assert target["Wants"] == ["theo-db-upgrade.service " + " ".join(f"theo-{n}.service" for n in SERVICES)]
    assert target["WantedBy"] == ["default.target"]
    trader = _keys((tmp_path / "units" / "theo-trader.service").read_text())
    assert trader["WatchdogSec"] == ["45"]
    assert trader["WorkingDirectory"] == [str(tmp_path)]
    assert "systemctl --user daemon-reload" in result.output
    assert write_units(tmp_path / "again", ["api"], _settings(tmp_path))[0].name == "theo-api.service"


def test_service_run_says_what_is_wrong(tmp_path: Path) -> None:
    result = runner.invoke(app, ["service", "run", "scanner"])
    assert result.exit_code == 2
    assert "unknown service 'scanner'" in result.output
    assert "collector, aggregator, trader, api" in result.output
    result = runner.invoke(app, ["service", "run", "trader", "--replay", "x.csv"])
    assert result.exit_code == 2
    assert "drive the collector's feed" in result.output
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path}"\n')
    runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    result = runner.invoke(app, ["service", "run", "aggregator", "--config", str(config)])
    assert result.exit_code == 2
    assert '[bus] kind = "nats"' in result.output
    assert "theo run" in result.output
    config.write_text(f'[app]\ndata_dir = "{tmp_path}"\n[bus]\nkind = "nats"\n[execution]\nbroker = "ibkr"\n')
    result = runner.invoke(app, ["service", "run", "trader", "--config", str(config)])
    assert result.exit_code == 2
    assert "trades the paper account" in result.output
    assert "theo run --broker ibkr" in result.output
    (tmp_path / "new").mkdir()
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "new"}"\n[bus]\nkind = "nats"\n')
    result = runner.invoke(app, ["service", "run", "api", "--config", str(config)])
    assert result.exit_code == 2
    assert "run `theo db upgrade` first" in result.output


def test_list_names_every_service() -> None:
    result = runner.invoke(app, ["service", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in SERVICES:
        assert name in result.output
