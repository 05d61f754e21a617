"""Saving settings into the configuration file: only the keys that changed, validated by the loader, atomically.

A save takes a proposal (a table of new values, e.g. ``{"correlation": {"threshold": 0.6}}``) under a root path of
the file (``strategies.0``, ``risk``, ``scanner``), keeps only the leaves whose value differs from the effective
configuration, writes them into the file's TOML document with :mod:`tomlkit` (comments, order and layout
survive), validates the resulting text with :func:`theo.config.loader.load_config` (the very check ``theo run``
and ``theo config validate`` make, environment included) and replaces the file in one rename. A value ``null``
removes the key from the file (back to its default); ``"none"`` turns an optional setting off, as in the file.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from theo.api.services.config_types import toml_value
from theo.api.services.context import ServiceContext
from theo.api.services.errors import Conflict, Invalid
from theo.config import TheoConfig
from theo.config.loader import ENV_PREFIX, SECRET_KEYS, load_config, redact
from theo.core.errors import ConfigError

Path_ = tuple[str | int, ...]
#: What a save answers in ``applies``: the engine reads its configuration once, at start.
APPLIES = "restart"
APPLIES_NOTE = ("saved to the configuration file; a running `theo run` keeps its configuration until it is "
                "restarted (the next start validates and uses the new file)")
_LOCK = threading.Lock()  # one save at a time in this process: read, change, validate, rename
_FIELD = re.compile(r"^\s+- \[?(?P<loc>[A-Za-z0-9_.\-]+)\]?(?: =|:)", re.MULTILINE)


@dataclass(frozen=True)
class Saved:
    """A save's outcome: the configuration now in the file, and each changed key's value before and after."""

    config: TheoConfig
    before: dict[str, Any]
    after: dict[str, Any]


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def get_at(data: Any, path: Path_) -> Any:
    for key in path:
        data = data[key]
    return data


def file_config(ctx: ServiceContext) -> TheoConfig:
    """The configuration in the file now (what the next start uses); the built-in one without a file."""
    if ctx.config_path is None:
        return ctx.config
    try:
        return load_config(ctx.config_path)
    except ConfigError as exc:
        raise Conflict(f"the configuration file no longer loads; fix it first:\n{exc}") from None


def require_file(ctx: ServiceContext) -> Path:
    if ctx.config_path is None:
        raise Conflict("this API runs on the built-in defaults, without a configuration file, so settings "
                       "cannot be saved; start it with --config FILE (e.g. `theo run --config config/theo.toml`)")
    return ctx.config_path


def _leaves(proposal: Mapping[str, Any], current: Any, path: Path_) -> dict[Path_, Any]:
    """The proposal's leaves whose value differs from ``current`` (tables recurse; lists of tables recurse by
    index when their length is unchanged; any other list is one value)."""
    out: dict[Path_, Any] = {}
    for key, value in proposal.items():
        here = (*path, key)
        if key in SECRET_KEYS:
            raise Invalid(f"{key} is a secret: it is read only from the environment and never saved to the file",
                          field=dotted(here))
        old = current.get(key) if isinstance(current, Mapping) else None
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out.update(_leaves(value, old, here))
        elif (isinstance(value, list) and isinstance(old, list) and len(value) == len(old) and value
              and all(isinstance(v, Mapping) and isinstance(o, Mapping) for v, o in zip(value, old, strict=True))):
            for i, (v, o) in enumerate(zip(value, old, strict=True)):
                out.update(_leaves(v, o, (*here, i)))
        elif not _same(value, old) or (isinstance(current, Mapping) and key not in current):
            out[here] = value
    return out


def _same(new: Any, old: Any) -> bool:
    """Equal values, a number and its decimal string included (a form may send 1 for the Decimal "1")."""
    if new == old:
        return True
    if isinstance(new, bool) or isinstance(old, bool) or not {type(new), type(old)} & {str}:
        return False
    try:
        return Decimal(str(new)) == Decimal(str(old))
    except InvalidOperation:
        return False


def _env_overrides(path: Path_, env: Mapping[str, str]) -> str | None:
    """The environment variable that overrides ``path`` (or a table holding it, or a key inside it)."""
    want = [str(p).lower() for p in path]
    for name in env:
        if not name.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        n = min(len(parts), len(want))
        if n and parts[:n] == want[:n]:
            return name
    return None


def _set(doc: Any, path: Path_, value: Any, annotation_root: type, full: Any, created: list[Any]) -> None:
    """Write ``value`` at ``path`` in the TOML document, creating tables as needed (kept in ``created``);
    ``None`` removes the key. A list element missing from the file makes the whole list (``full`` at its key)
    be written instead."""
    node = doc
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(key, int):
            node = node[key]
            continue
        if key not in node:
            if isinstance(nxt, int):  # the file does not have this list: write it whole
                node[key] = toml_value(annotation_root, path[: i + 1], get_at(full, path[: i + 1]))
                return
            node[key] = tomlkit.table()
            created.append(node[key])
        node = node[key]
        if isinstance(node, AoT | list) and isinstance(nxt, int) and nxt >= len(node):
            return _set_whole(doc, path[: i + 1], annotation_root, full)
    last = path[-1]
    if value is None:
        if not isinstance(last, int) and last in node:
            del node[last]
        return
    node[last] = toml_value(annotation_root, path, value)
    if isinstance(node[last], Table):
        created.append(node[last])


def _set_whole(doc: Any, path: Path_, annotation_root: type, full: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = toml_value(annotation_root, path, get_at(full, path))


def merged(current: Any, proposal: Any) -> Any:
    """``proposal`` laid over ``current``: tables key by key, lists of tables item by item when as long."""
    if isinstance(current, Mapping) and isinstance(proposal, Mapping):
        out = dict(current)
        for k, v in proposal.items():
            out[k] = merged(current.get(k), v)
        return out
    if (isinstance(current, list) and isinstance(proposal, list) and len(current) == len(proposal)
            and all(isinstance(p, Mapping) for p in proposal)):
        return [merged(c, p) for c, p in zip(current, proposal, strict=True)]
    return proposal


def _field_of(message: str, root: Path_) -> str | None:
    """The first key path a loader message names, relative to ``root`` when it lies under it."""
    found = _FIELD.search(message)
    if found is None:
        return None
    loc = found.group("loc").split(".")
    prefix = [str(p) for p in root]
    return ".".join(loc[len(prefix):]) if loc[: len(prefix)] == prefix and len(loc) > len(prefix) else ".".join(loc)


def _write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to a new file beside ``path`` (flushed to disk) and return it; the caller renames it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(ctx: ServiceContext, root: Path_, proposal: Mapping[str, Any], annotation_root: type,
         env: Mapping[str, str] | None = None) -> Saved:
    """Apply ``proposal`` under ``root`` of the configuration file (see the module docstring)."""
    path = require_file(ctx)
    env = os.environ if env is None else env
    with _LOCK:
        old = file_config(ctx)
        current = get_at(old.model_dump(mode="json"), root)
        changes = _leaves(proposal, current, ())
        if not changes:
            return Saved(old, {}, {})
        for leaf in changes:
            var = _env_overrides((*root, *leaf), env)
            if var is not None:
                raise Conflict(f"{dotted((*root, *leaf))} is set by the environment variable {var}, which overrides "
                               f"the file; change or unset it there", field=dotted(leaf))
        full = merged(current, proposal)
        text = path.read_text(encoding="utf-8")
        doc = tomlkit.parse(text)
        container: Any = doc
        created: list[Any] = []
        for key in root:
            if isinstance(key, str) and key not in container:
                container[key] = tomlkit.table()
                created.append(container[key])
            container = container[key]
        for leaf, value in changes.items():
            _set(container, leaf, value, annotation_root, full, created)
        for table in created:  # a new table ends with a blank line, as the file's own do
            table.add(tomlkit.nl())
        new_text = tomlkit.dumps(doc)
        if "\n\n\n" not in text:  # tomlkit already spaced some of them: one blank line, the file's style
            new_text = re.sub(r"\n{3,}", "\n\n", new_text)
        if text.endswith("\n") and not text.endswith("\n\n"):
            new_text = new_text.rstrip("\n") + "\n"
        tmp = _write_atomically(path, new_text)
        try:
            new = load_config(tmp, env)
        except ConfigError as exc:
            tmp.unlink(missing_ok=True)
            message = redact(str(exc).replace(str(tmp), str(path)))
            raise Invalid(message, field=_field_of(message, root)) from None
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    after_all = get_at(new.model_dump(mode="json"), root)
    moved = [k for k in changes if _value_at(current, k) != _value_at(after_all, k)]  # not a key reset to its value
    return Saved(new, {dotted(k): _value_at(current, k) for k in moved},
                 {dotted(k): _value_at(after_all, k) for k in moved})


def _value_at(data: Any, path: Path_) -> Any:
    try:
        return get_at(data, path)
    except (KeyError, IndexError, TypeError):
        return None


def check_table(values: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(values, Mapping):
        raise Invalid(f"{what}: values must be a table (a JSON object) of the settings to change", field="values")
    return values
