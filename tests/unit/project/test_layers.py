"""SQL lives in ``theo.persistence`` only: other modules depend on small protocols, repositories implement them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "theo"

#: Modules outside ``theo.persistence`` that may import SQLAlchemy or the tables, relative to ``src/theo``.
SQL_ALLOWED: set[str] = set()

#: Domain modules that import something of ``theo.persistence``, and what: none, they declare protocols.
PERSISTENCE_ALLOWED: dict[str, set[str]] = {}
DOMAIN = ("data", "indicators", "strategy", "risk", "execution", "trading", "model", "core")


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (functions and ``TYPE_CHECKING`` blocks included)."""
    package = ".".join(("theo", *path.relative_to(SRC).parent.parts))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _modules(*tops: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.split("/", 1)[0] in tops or not tops:
            yield rel, path


def _is_sql(name: str) -> bool:
    return any(name == m or name.startswith(m + ".")
               for m in ("sqlalchemy", "theo.persistence.db", "theo.persistence.models"))


def test_only_persistence_imports_sqlalchemy_or_the_tables() -> None:
    offenders: dict[str, set[str]] = {}
    for rel, path in _modules():
        if rel.startswith("persistence/"):
            continue
        found = {name for name in _imports(path) if _is_sql(name)}
        if found:
            offenders[rel] = found
    unexpected = {rel: names for rel, names in offenders.items() if rel not in SQL_ALLOWED}
    assert unexpected == {}, "move these queries into a repository of theo.persistence.repositories"
    stale = SQL_ALLOWED - set(offenders)
    assert stale == set(), "these modules no longer import SQL: remove them from SQL_ALLOWED"


def test_domain_modules_depend_on_protocols_not_on_persistence() -> None:
    offenders: dict[str, set[str]] = {}
    importers: set[str] = set()
    for rel, path in _modules(*DOMAIN):
        allowed = PERSISTENCE_ALLOWED.get(rel, set())
        found = {name for name in _imports(path) if name == "theo.persistence" or name.startswith("theo.persistence.")}
        if found:
            importers.add(rel)
        bad = {n for n in found if not any(n == a or n.startswith(a + ".") for a in allowed)}
        if bad:
            offenders[rel] = bad
    assert offenders == {}, "declare a Protocol next to the code and implement it in theo.persistence.repositories"
    stale = set(PERSISTENCE_ALLOWED) - importers
    assert stale == set(), "these modules no longer import theo.persistence: remove them from PERSISTENCE_ALLOWED"
