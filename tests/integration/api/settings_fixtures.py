"""A context whose configuration is a copy of config/theo.example.toml (the file `make run` uses) in a
temporary folder, so saves from the API write a real file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import REPO
from theo.api.services.context import ServiceContext
from theo.config.loader import load_config

EXAMPLE = REPO / "config" / "theo.example.toml"


def example_config(folder: Path, text: str | None = None) -> Path:
    """The example file, its data_dir inside ``folder``; return its path."""
    path = folder / "theo.toml"
    body = EXAMPLE.read_text(encoding="utf-8") if text is None else text
    path.write_text(body.replace('data_dir = "var"', f'data_dir = "{folder / "var"}"'), encoding="utf-8")
    return path


def file_context(path: Path, store: Engine, events: object) -> ServiceContext:
    return ServiceContext(config=load_config(path), store=store, events=events,  # type: ignore[arg-type]
                          config_path=path)
