"""`theo config validate` and `theo config show`: messages, exit codes, masking, UTC equivalents."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.integration.cli.conftest import Invoke


def test_valid_file_prints_valid_and_a_summary(theo: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('[market]\ncapital = "25000"\n', encoding="utf-8")
    result = theo("config", "validate", str(path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: valid"
    assert "capital 25000 USD, calendar XNYS" in lines[2]


def test_invalid_file_lists_every_problem_and_exits_2(theo: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('market = 5\n[app]\nmode = "demo"\ncolour = 1\n', encoding="utf-8")
    result = theo("config", "validate", str(path))
    assert result.exit_code == 2
    err = result.stderr
    assert "Traceback" not in err
    assert f"error: {path}: invalid configuration (3 problem(s))" in err
    assert "app.mode = 'demo': Input should be 'backtest', 'paper' or 'live'" in err
    assert "app.colour: unknown key (value 1)" in err
    # Rich must not swallow "[market]" as markup.
    assert "expected a [market] table (section) of keys, got an integer" in err


def test_bad_toml_syntax_names_the_line(theo: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('[app\nmode = "paper"\n', encoding="utf-8")
    result = theo("config", "validate", str(path))
    assert result.exit_code == 2
    assert f"{path}: not valid TOML at line 1" in result.stderr


def test_missing_file(theo: Invoke, tmp_path: Path) -> None:
    result = theo("config", "validate", str(tmp_path / "none.toml"))
    assert result.exit_code == 2
    assert "config file not found" in result.stderr


def test_validate_applies_environment_overrides(theo: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text("", encoding="utf-8")
    result = theo("config", "validate", str(path), env={"THEO__MARKET__CAPITAL": "-5"})
    assert result.exit_code == 2
    assert "market.capital = -5: Input should be greater than 0" in result.stderr


def test_show_masks_secrets_and_shows_utc_for_today(theo: Invoke) -> None:
    result = theo("config", "show", env={"THEO__DATABASE__PASSWORD": "hunter2"})
    assert result.exit_code == 0
    out = result.stdout
    assert "hunter2" not in out
    assert 'password = "***"' in out
    today = datetime.now(ZoneInfo("America/New_York")).date()
    open_utc = datetime.combine(today, datetime.strptime("09:30", "%H:%M").time(),
                                tzinfo=ZoneInfo("America/New_York")).astimezone(ZoneInfo("UTC"))
    assert f"open_time = 09:30:00  # ET; {open_utc:%H:%M} UTC on {today.isoformat()}" in out


def test_show_json_reads_the_config_option(theo: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[market]\ncapital = "1234.5"\nopen_time = "10:00:00"\n', encoding="utf-8")
    result = theo("config", "show", "--config", str(path), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["market"]["capital"] == "1234.5"
    assert data["market"]["open_time"]["et"] == "10:00:00"
    assert data["database"]["password"] is None


def test_root_help_lists_foundation_commands_with_descriptions(theo: Invoke) -> None:
    result = theo("--help")
    assert result.exit_code == 0
    for name in ("config", "calendar", "db"):
        line = next((ln for ln in result.stdout.splitlines() if f" {name} " in ln), "")
        assert line.strip(" │").split(maxsplit=1)[1:], f"{name} has no description"


def test_every_command_has_a_one_line_description() -> None:
    import typer

    from theo.cli.main import app

    def walk(command: object, path: str) -> list[str]:
        missing: list[str] = []
        for name, sub in getattr(command, "commands", {}).items():
            if not (sub.help or "").strip():
                missing.append(f"{path}{name}")
            missing.extend(walk(sub, f"{path}{name} "))
        return missing

    root = typer.main.get_command(app)
    assert {"config", "calendar", "db"} <= set(root.commands)  # type: ignore[attr-defined]
    assert walk(root, "") == []


def test_configuration_doc_names_every_foundation_key() -> None:
    from theo.config import TheoConfig
    from theo.config.market import OptionCategorySplit

    doc = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section in ("app", "database", "logging", "market"):
        assert f"`[{section}]`" in doc
        model = type(getattr(TheoConfig(), section))
        for key in model.model_fields:
            if key != "option_category_split":
                assert f"| `{key}` |" in doc, f"{section}.{key}"
    for key in OptionCategorySplit.model_fields:
        assert f"| `{key}` |" in doc
