"""Fuzz the config loader: any TOML text or environment override gives a config or a ConfigError."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from theo.config import TheoConfig, load_config
from theo.core.errors import TheoError


def _sections(model: type[BaseModel], prefix: str = "") -> dict[str, list[str]]:
    """Every section path of the schema and its keys (nested models are sections of their own)."""
    out: dict[str, list[str]] = {prefix: []}
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_sections(ann, f"{prefix}.{name}" if prefix else name))
        else:
            out[prefix].append(name)
    return out


SECTIONS = {k: v for k, v in _sections(TheoConfig).items() if k}
SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str), st.floats().map(
        lambda f: "nan" if f != f else ("inf" if f == float("inf") else "-inf" if f == -float("inf") else repr(f))),
    st.booleans().map(lambda b: "true" if b else "false"), st.text(max_size=20).map(json.dumps),
    st.sampled_from(["1990-01-01", "09:30:00", "2020-02-30", '"none"', '"off"', '"SPY"', '"../../etc"', "[]",
                     '["SPY", "QQQ"]', "{}", '"sqlite:///:memory:"', '"postgresql://u:secret@h/db"', '"1m"', "0"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"))


@st.composite
def toml_files(draw: Any) -> str:
    lines: list[str] = []
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=4, unique=True)):
        lines.append(f"[{section}]")
        keys = SECTIONS[section] + ["bogus_key"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
            lines.append(f"{key} = {draw(VALUES)}")
    if draw(st.booleans()):
        lines.append('[[strategies]]\ntype = "donchian_breakout"\nname = "d"')
        lines.append(f"symbols = {draw(VALUES)}")
    return "\n".join(lines) + "\n"


def _load(text: str, env: dict[str, str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "theo.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(TheoError):
            load_config(path, env=env or {})


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_files())
def test_schema_shaped_toml_never_raises_anything_but_a_config_error(text: str) -> None:
    _load(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_a_config_error(text: str) -> None:
    _load(text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(SECTIONS)), st.text(max_size=10), st.text(max_size=20))
def test_environment_overrides_never_raise_anything_but_a_config_error(section: str, key: str, value: str) -> None:
    keys = SECTIONS[section] or ["x"]
    name = "THEO__" + "__".join([*section.split("."), keys[len(key) % len(keys)] if key.isascii() else key])
    _load("", {name.upper(): value})


def test_a_session_time_written_as_a_number_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "theo.toml"
    path.write_text("[market]\nopen_time = 0\n")
    with pytest.raises(TheoError, match=r"market.open_time.*has a UTC offset; write a wall-clock time"):
        load_config(path, env={})
