"""Loading the config file: defaults, environment overrides, secrets, and every kind of error message."""

from __future__ import annotations

import tomllib
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from theo.config import TheoConfig, load_config, masked_dump
from theo.config.render import summary, to_json, to_toml
from theo.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    return str(info.value)


def test_empty_file_gives_us_market_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.market.capital == Decimal("100000")
    assert (cfg.market.open_time, cfg.market.close_time) == (time(9, 30), time(16, 0))
    assert (cfg.market.pre_market_start, cfg.market.post_market_end) == (time(4, 0), time(20, 0))
    assert cfg.market.calendar == "XNYS"
    assert cfg.market.option_category_split.deep_itm_pct == Decimal("10")


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[3] / "config" / "theo.example.toml"
    cfg = load_config(example, env={})
    assert cfg.app.data_dir == Path("var")


def test_environment_overrides_file_and_parses_toml_values(tmp_path: Path) -> None:
    path = write(tmp_path, '[market]\ncapital = "50000"\n')
    cfg = load_config(path, env={"THEO__MARKET__CAPITAL": "75000.25", "THEO__DATABASE__ECHO": "true",
                                 "THEO__MARKET__EXTRA_HOLIDAYS": '["2026-12-31"]', "OTHER": "x"})
    assert cfg.market.capital == Decimal("75000.25")
    assert cfg.database.echo is True
    assert cfg.market.extra_holidays == [date(2026, 12, 31)]


def test_secret_from_environment_is_kept_verbatim_and_masked() -> None:
    cfg = load_config(None, env={"THEO__DATABASE__PASSWORD": "123", "THEO__DATABASE__URL":
                                 "postgresql://theo@db.local/theo"})
    assert cfg.database.password is not None
    assert cfg.database.password.get_secret_value() == "123"  # a string, not the TOML integer 123
    assert masked_dump(cfg)["database"]["password"] == "***"
    assert "123" not in repr(cfg)
    assert cfg.database_url() == "postgresql://theo:123@db.local/theo"


def test_every_secret_in_a_file_is_reported_with_its_variable(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, '[database]\npassword = "p"\n[x]\ntoken = "t"\n'))
    assert "database.password: a secret may not be stored in a file" in msg
    assert "THEO__DATABASE__PASSWORD" in msg
    assert "x.token" in msg
    assert "THEO__X__TOKEN" in msg
    assert '"p"' not in msg
    assert "'p'" not in msg


def test_unknown_key_names_file_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "[app]\ncolour = 1\n")
    msg = error_of(path)
    assert msg.startswith(f"{path}: invalid configuration (1 problem(s))")
    assert "app.colour: unknown key (value 1); check the spelling or remove it" in msg


def test_unknown_section_is_named_as_a_section(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, "[markets]\ncapital = 1\n"))
    assert "  - [markets]: unknown section; check the spelling or remove it" in msg


def test_bad_values_are_all_listed_with_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, '[app]\nmode = "demo"\n[database]\npool_size = "x"\n[logging]\nlevel = "LOUD"\n'
                           '[market]\ncapital = "-1"\nopen_time = "25:00"\ncalendar = "LSE"\n')
    msg = error_of(path)
    assert "(6 problem(s))" in msg
    assert "app.mode = 'demo': Input should be 'backtest', 'paper' or 'live'" in msg
    assert "database.pool_size = 'x': Input should be a valid integer" in msg
    assert "logging.level = 'LOUD': Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'" in msg
    assert "market.capital = '-1': Input should be greater than 0" in msg
    assert "market.open_time = '25:00': Input should be in a valid time format" in msg
    assert "market.calendar = 'LSE': unknown calendar 'LSE'; expected one of XNYS, CME_EQUITY" in msg


def test_whole_section_of_wrong_type_says_a_table_is_expected(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, 'market = 5\napp = "x"\n'))
    assert "market = 5: expected a [market] table (section) of keys, got an integer" in msg
    assert "app = 'x': expected a [app] table (section) of keys, got a string" in msg


def test_bad_toml_names_the_line_and_shows_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[app]\ndata_dir = "var"\nmode = "paper\n')
    msg = error_of(path)
    assert msg.startswith(f"{path}: not valid TOML at line 3, column 14:")
    assert '  3 | mode = "paper' in msg


def test_session_times_out_of_order_are_refused(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, '[market]\nopen_time = "17:00:00"\n'))
    assert "  - market: expected pre_market_start <= open_time < close_time <= post_market_end" in msg


def test_missing_file_and_non_utf8_file(tmp_path: Path) -> None:
    assert "config file not found" in error_of(tmp_path / "nope.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    assert "not a UTF-8 text file" in error_of(bad)


def test_environment_override_into_a_value_that_is_not_a_section(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, '[app]\nmode = "paper"\n'), env={"THEO__APP__MODE__X": "1"})
    assert "THEO__APP__MODE__X" in msg
    assert "'mode' is not a section" in msg


def test_environment_error_mentions_the_variable(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, ""), env={"THEO__MARKET__CAPITAL": "lots"})
    assert "environment THEO__MARKET__CAPITAL" in msg
    assert "market.capital = 'lots'" in msg


def test_toml_output_round_trips_and_annotates_times_with_utc() -> None:
    cfg = load_config(None, env={"THEO__MARKET__CAPITAL": "123456.78"})
    winter = to_toml(cfg, date(2026, 1, 15))
    assert 'capital = "123456.78"' in winter
    assert "open_time = 09:30:00  # ET; 14:30 UTC on 2026-01-15" in winter
    assert "post_market_end = 20:00:00  # ET; 01:00 UTC (+1 day) on 2026-01-15" in winter
    summer = to_toml(cfg, date(2026, 7, 15))
    assert "open_time = 09:30:00  # ET; 13:30 UTC on 2026-07-15" in summer
    again = TheoConfig.model_validate(tomllib.loads(winter))
    assert again == cfg


def test_json_output_masks_secrets_and_gives_utc_instants() -> None:
    import json

    cfg = load_config(None, env={"THEO__DATABASE__PASSWORD": "hunter2"})
    data = json.loads(to_json(cfg, date(2026, 3, 9)))
    assert data["database"]["password"] == "***"
    assert data["market"]["open_time"] == {"et": "09:30:00", "utc": "2026-03-09T13:30:00+00:00",
                                           "utc_on": "2026-03-09"}
    assert data["market"]["capital"] == "100000"
    assert "hunter2" not in to_toml(cfg, date(2026, 3, 9))


def test_summary_names_mode_capital_and_calendar() -> None:
    lines = summary(load_config(None, env={}))
    assert lines[0] == "mode paper, data_dir var, database SQLite (default)"
    assert lines[1] == "market: capital 100000 USD, calendar XNYS"
    assert lines[2] == "  sessions (ET): regular 09:30–16:00, pre-market from 04:00, post-market to 20:00"
    assert max(len(f"  {line}") for line in lines) <= 100  # as `theo config validate` prints them


def test_example_comments_show_the_real_defaults() -> None:
    import re

    text = (Path(__file__).resolve().parents[3] / "config" / "theo.example.toml").read_text(encoding="utf-8")
    foundation = text[: text.index("# --- component sections below")]
    uncommented = "\n".join(re.sub(r"^# ([a-z_]+ = )", r"\1", line) for line in foundation.splitlines())
    cfg = TheoConfig.model_validate(tomllib.loads(uncommented))
    defaults = TheoConfig()
    assert cfg.app == defaults.app
    assert cfg.database == defaults.database
    assert cfg.market == defaults.market
    assert cfg.logging == defaults.logging


def test_cross_section_error_is_reported_without_a_key_path() -> None:
    from theo.config.loader import _describe_one

    err = {"loc": (), "msg": "Value error, scanner.scanners.0 (s): strategy 'x' is not configured",
           "type": "value_error", "input": {}}
    assert _describe_one(err) == "  - scanner.scanners.0 (s): strategy 'x' is not configured"
