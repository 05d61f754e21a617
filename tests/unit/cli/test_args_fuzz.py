"""Fuzz every command's arguments: a usage error, a clear message or a result, never a traceback.

Each command is parsed with generated arguments built from its own options and hostile values. Commands
that read or write only the local test database are also run; the ones that start an engine, connect to a
broker or run a backtest are parsed only (their argument checks live in the parser and in their own tests).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer import Abort, Exit
from typer._click.exceptions import ClickException
from typer.testing import CliRunner

from theo.cli.main import app

ROOT = typer.main.get_command(app)
PARSE_ONLY = {"run", "api", "ib check", "data download", "backtest", "backtest sweep", "scan", "archive run",
              "collect"}


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if path and cmd.params:
        yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(ROOT))
HOSTILE = ["", " ", "-", "--", "-1", "0", "1", "1e308", "nan", "inf", "../../etc", "SP Y", "A" * 100, "spy",
           "SPY", "2013-10-07", "2013-10-07T09:30:00-04:00", "9999-12-31", "2020-02-30", "1m", "7x", "0s",
           "SPY=nofile.csv", "=", "x=", "table", "csv", "json", "none", "\x00", "é", "%s", "[red]x[/]", "{}"]


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "theo.toml").write_text(f'[app]\ndata_dir = "{root}"\n[database]\nurl = "sqlite:///{root / "t.db"}"\n')
        (root / "SPY_ticks.csv").write_text("ts,price,size\n2013-10-07T09:30:00-04:00,167.41,100\n")
        (root / "SPY_1min.csv").write_text("ts,open,high,low,close,volume\n2013-10-07T09:30:00-04:00,1,2,0.5,1.5,10\n"
                                           "2013-10-07T09:31:00-04:00,1.5,2,1,1.2,5\n")
        (root / "junk.csv").write_bytes(b"\xff\xfe\x00garbage")
        (root / "SPY_dup.csv").write_text("ts,price,Price,size\n2013-10-07T09:30:00-04:00,1,1,100\n")
        (root / "SPY_latin1.csv").write_bytes(b"ts,price,size\n2013-10-07T09:30:00-04:00,1\xe9,100,x\n")
        yield root


def _args(draw: Any, cmd: Any, root: Path) -> list[str]:
    opts = [o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("-") and o not in ("-c", "--config")]
    files = [str(root / n) for n in ("SPY_ticks.csv", "SPY_1min.csv", "junk.csv", "missing.csv",
                                               "SPY_dup.csv", "SPY_latin1.csv")] + [str(root)]
    token = st.one_of(st.sampled_from(opts or ["--x"]), st.sampled_from(HOSTILE + files), st.text(max_size=8))
    return draw(st.lists(token, max_size=6))


@st.composite
def invocations(draw: Any, root: Path) -> tuple[tuple[str, ...], list[str]]:
    path = draw(st.sampled_from(sorted(COMMANDS)))
    return path, _args(draw, COMMANDS[path], root)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parsing_any_arguments_of_any_command_raises_only_usage_errors(workdir: Path, data: st.DataObject) -> None:
    path, args = data.draw(invocations(workdir))
    with contextlib.suppress(ClickException, Exit, Abort):
        COMMANDS[path].make_context(" ".join(path), args)


def _run(path: tuple[str, ...], args: list[str], root: Path) -> None:
    cmd = COMMANDS[path]
    config = ["-c", str(root / "theo.toml")] if any("--config" in getattr(p, "opts", []) for p in cmd.params) else []
    with contextlib.chdir(root):  # a hostile value taken as a relative output path must land in the temp dir
        res = CliRunner().invoke(app, [*path, *args, *config], env={"THEO__APP__DATA_DIR": str(root)})
    assert "Traceback" not in res.output, (path, args, res.output)
    assert res.exit_code in (0, 1, 2), (path, args, res.exit_code, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), (path, args, repr(res.exception))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_running_local_commands_with_any_arguments_gives_no_traceback(workdir: Path, data: st.DataObject) -> None:
    path, args = data.draw(invocations(workdir).filter(lambda pa: " ".join(pa[0]) not in PARSE_ONLY))
    _run(path, args, workdir)


@pytest.mark.parametrize("path", sorted(p for p in COMMANDS if " ".join(p) not in PARSE_ONLY))
def test_each_local_command_with_hostile_values_gives_no_traceback(workdir: Path, path: tuple[str, ...]) -> None:
    opts = [o for p in COMMANDS[path].params for o in getattr(p, "opts", [])[:1]
            if o.startswith("-") and o not in ("-c", "--config")]
    for value in ("../../etc", "-1", "9999-12-31", "\x00", str(workdir / "SPY_dup.csv")):
        _run(path, [a for o in opts[:4] for a in (o, value)], workdir)


@pytest.mark.parametrize("args", [
    ["data", "import", "{root}/SPY_dup.csv", "--symbol", "SPY"],
    ["data", "import", "{root}/SPY_latin1.csv", "--symbol", "SPY"],
    ["data", "import", "{root}/SPY_ticks.csv", "--symbol", "../../etc"],
    ["config", "validate", "{root}/open0.toml"],
])
def test_inputs_the_fuzzer_found_give_a_message_not_a_traceback(workdir: Path, args: list[str]) -> None:
    (workdir / "open0.toml").write_text("[market]\nopen_time = 0\n")
    path = tuple(a for a in args if not a.startswith(("{", "-")))[:2]
    rest = [a.replace("{root}", str(workdir)) for a in args[len(path):]]
    _run(path, rest, workdir)
