"""`theo scan`, `theo scan signals` and `theo scan cleanup` end to end on the real eqker week."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import shared_file
from tests.integration.strategy.scanner.test_eqker_week import CONFIG, FILES
from theo.cli.main import app

runner = CliRunner()


def _config(tmp_path: Path, body: str | None = None) -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(body if body is not None else CONFIG.format(data_dir=tmp_path), encoding="utf-8")
    return path


def _data_args() -> list[str]:
    args: list[str] = []
    for symbol, rel in FILES.items():
        args += ["--data", f"{symbol}={shared_file(rel)}"]
    return args


def test_scan_prints_stores_lists_and_cleans_up(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    first = runner.invoke(app, ["scan", "--config", str(cfg), *_data_args(), "--format", "json"])
    assert first.exit_code == 0, first.output
    printed = json.loads(first.stdout)
    assert len(printed) >= 3
    assert {p["strategy"] for p in printed} == {"spy_vol"}
    assert all("SPY.sh" in p["inputs"] and "VIX.corr" in p["inputs"] for p in printed)
    assert f"{len(printed)} stored" in first.stderr

    second = runner.invoke(app, ["scan", "--config", str(cfg), *_data_args(), "--format", "csv"])
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0].startswith("created_at,strategy,scanner,symbol,side")
    assert len(second.stdout.splitlines()) == len(printed) + 1
    assert "0 stored" in second.stderr
    assert f"{len(printed)} duplicates suppressed" in second.stderr

    listed = runner.invoke(app, ["scan", "signals", "--config", str(cfg), "--active", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [p["created_at"] for p in json.loads(listed.stdout)] == [p["created_at"] for p in printed]

    cleaned = runner.invoke(app, ["scan", "cleanup", "--config", str(cfg), "--now", "2019-02-16T00:00:00+00:00"])
    assert cleaned.exit_code == 0
    assert f"{len(printed)} expired signals cancelled" in cleaned.stdout
    active = runner.invoke(app, ["scan", "signals", "--config", str(cfg), "--active", "--format", "json"])
    assert json.loads(active.stdout) == []
    every = runner.invoke(app, ["scan", "signals", "--config", str(cfg), "--strategy", "spy_vol", "--format", "json"])
    assert {(p["status"], p["active"]) for p in json.loads(every.stdout)} == {("CANCELLED", False)}
    table = runner.invoke(app, ["scan", "signals", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert f"{len(printed)} stored signals" in table.stdout


def test_from_to_limit_the_run(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    out = runner.invoke(app, ["scan", "-c", str(cfg), *_data_args(), "--no-store", "--from", "2019-02-13",
                              "--to", "2019-02-13", "--format", "json"])
    assert out.exit_code == 0, out.output
    days = {p["created_at"][:10] for p in json.loads(out.stdout)}
    assert days <= {"2019-02-13"}
    backwards = runner.invoke(app, ["scan", "-c", str(cfg), *_data_args(), "--no-store", "--from", "2019-02-14",
                                    "--to", "2019-02-13"])
    assert backwards.exit_code == 2
    assert "--from 2019-02-14 is after --to 2019-02-13" in backwards.stderr
    extra = ["--data", f"IWM={shared_file('lean/IWM_1d_2000-05-26_2021-03-31.csv.gz')}"]
    more = runner.invoke(app, ["scan", "-c", str(cfg), *_data_args(), *extra, "--no-store", "--from", "2019-02-13",
                               "--to", "2019-02-13", "--format", "json"])
    assert more.exit_code == 0, more.output
    assert json.loads(more.stdout) == json.loads(out.stdout)
    assert "not used by any enabled strategy, so not read: --data IWM" in more.stderr


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    missing = runner.invoke(app, ["scan", "-c", str(cfg), "--data", f"SPY={shared_file(FILES['SPY'])}"])
    assert missing.exit_code == 2
    assert "no data for symbol" in missing.stderr
    assert "Traceback" not in missing.output
    bad = runner.invoke(app, ["scan", "-c", str(cfg), "--data", "SPY"])
    assert bad.exit_code == 2
    assert "expected SYMBOL=PATH" in bad.stderr
    fmt = runner.invoke(app, ["scan", "-c", str(cfg), *_data_args(), "--format", "xml"])
    assert fmt.exit_code == 2
    assert "--format 'xml'" in fmt.stderr
    rule = _config(tmp_path, CONFIG.format(data_dir=tmp_path).replace('"abs(corr) >= 0.6"', '"abs(corr) >= "'))
    bad_rule = runner.invoke(app, ["scan", "-c", str(rule), *_data_args()])
    assert bad_rule.exit_code == 2
    assert "ends too early" in bad_rule.stderr
    assert "^" in bad_rule.stderr
    coarse = [a if not a.startswith("SPY=") else f"SPY={shared_file('eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz')}"
              for a in _data_args()]
    cfg = _config(tmp_path)  # the valid config again
    wrong_tf = runner.invoke(app, ["scan", "-c", str(cfg), *coarse])
    assert wrong_tf.exit_code == 2
    assert "5m bars cannot be built from 15m bars: 5m is finer than 15m" in wrong_tf.stderr


def test_an_option_scanner_prints_strike_right_and_expiration(tmp_path: Path) -> None:
    body = CONFIG.format(data_dir=tmp_path) + 'instrument_type = "OPTION"\noption_category = "OTM"\n'
    cfg = _config(tmp_path, body.replace('expiry = "weekly"', 'expiry = "monthly"'))
    out = runner.invoke(app, ["scan", "-c", str(cfg), *_data_args(), "--no-store", "--format", "json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    assert printed
    for p in printed:
        strike, right, expiration = p["option"].split()
        # OTM: a call above, a put below the SPY close; $10 strikes above $200 (market-rules.md §6).
        assert right == ("CALL" if p["side"] == "BUY" else "PUT")
        assert Decimal(strike) % 10 == 0
        assert (Decimal(strike) > Decimal(p["entry_price"])) == (right == "CALL")
        assert expiration == "2019-02-15"  # February 2019's monthly series
        assert p["quantity"] == 100
