"""``theo db backup`` / ``theo db restore``: one file per backup plus a manifest JSON beside it (plan §15).

SQLite is copied with the online backup API (consistent while ``theo run`` writes); PostgreSQL with
``pg_dump --format=custom`` and restored with ``pg_restore``. The password reaches the child through
``PGPASSWORD`` only, never its command line. The manifest records the source (password masked), the schema
revision, the row counts of the key tables, the backup's sha256 and the cold archive's manifest, so a restore
can refuse a corrupt file and prove that every row came back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from theo import __version__
from theo.config import TheoConfig
from theo.core.errors import StorageError
from theo.execution.lock import Lease, pid_alive
from theo.persistence.archive.manifest import MANIFEST_NAME
from theo.persistence.db import mask_url
from theo.persistence.repositories import Repositories, connect
from theo.persistence.repositories.backup import BackupRepository, sqlite_copy

MANIFEST_SUFFIX = ".manifest.json"
PG_PACKAGE = "postgresql-client"


class BackupError(StorageError):
    """A backup cannot be taken or restored (corrupt file, non-empty target, running engine, missing tool).

    Reaction: nothing is changed; the command exits non-zero with the reason.
    """


@dataclass(frozen=True, slots=True)
class BackupManifest:
    """What ``theo db restore`` checks a backup file against."""

    format: str  # "sqlite" or "pg_dump-custom"
    source: str  # the store's URL, password masked
    schema_revision: str | None
    row_counts: dict[str, int]
    sha256: str
    size: int
    theo_version: str
    created_at: str  # ISO-8601 UTC
    file: str
    archive: dict[str, Any] | None

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> BackupManifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise BackupError(f"the manifest {path} of this backup is missing; without it the backup cannot be "
                              f"checked (it is written beside the backup as <file>{MANIFEST_SUFFIX})") from None
        except (ValueError, TypeError) as exc:
            raise BackupError(f"the manifest {path} cannot be read: {exc}") from None


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_path(config: TheoConfig, now: datetime) -> Path:
    """``<data_dir>/backups/theo-YYYYmmddTHHMMSSZ.{sqlite|dump}``."""
    ext = "sqlite" if _url(config).get_backend_name() == "sqlite" else "dump"
    return config.app.data_dir / "backups" / f"theo-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.{ext}"


def _url(config: TheoConfig) -> URL:
    return make_url(config.database_url())


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite store has nothing to back up or restore into")
    return Path(url.database)


def _archive_reference(config: TheoConfig) -> dict[str, Any] | None:
    manifest = config.archive.resolve_directory(config.app.data_dir) / MANIFEST_NAME
    if not manifest.is_file():
        return None
    lines = sum(1 for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip())
    return {"manifest": str(manifest), "sha256": sha256_file(manifest), "entries": lines}


# -- PostgreSQL tools ------------------------------------------------------------------------------------------
def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"`{name}` is not installed; install the Debian package {PG_PACKAGE} "
                          f"(apt-get install {PG_PACKAGE}) with the same major version as the server")
    return path


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore; the password goes into PGPASSWORD only."""
    args = ["--dbname", str(url.database or "")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [*args, "--no-password"], env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{what} failed (exit {proc.returncode}): {' / '.join(detail[-5:])}")


# -- backup ---------------------------------------------------------------------------------------------------
def backup(config: TheoConfig, out: Path | None = None, *, now: datetime | None = None) -> tuple[Path, BackupManifest]:
    """Back up the configured store into ``out`` (default under ``<data_dir>/backups``); write the manifest."""
    created = now or datetime.now(UTC)
    target = out or default_path(config, created)
    url = _url(config)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    repos = Repositories(connect(config.database_url()))
    try:
        revision = repos.schema.revision()
        if url.get_backend_name() == "sqlite":
            source = _sqlite_file(url)
            if not source.is_file():
                raise BackupError(f"the store {source} does not exist; nothing to back up")
            sqlite_copy(source, target)
            fmt = "sqlite"
            # Counted on the copy: the live store may have moved on while the copy ran.
            counts = _counts(f"sqlite:///{target}")
        else:
            args, env = _pg_args(url)
            tmp = target.with_name(target.name + ".part")
            _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(tmp), *args], env, "pg_dump")
            tmp.rename(target)
            fmt = "pg_dump-custom"
            counts = BackupRepository(repos.store).row_counts()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        repos.close()
    manifest = BackupManifest(fmt, mask_url(str(url)), revision, counts, sha256_file(target), target.stat().st_size,
                              __version__, created.astimezone(UTC).isoformat(), target.name,
                              _archive_reference(config))
    manifest.write(manifest_path(target))
    return target, manifest


def _counts(url: str) -> dict[str, int]:
    store = connect(url)
    try:
        return BackupRepository(store).row_counts()
    finally:
        store.dispose()


# -- restore --------------------------------------------------------------------------------------------------
def verify(backup_file: Path) -> BackupManifest:
    """The backup's manifest, after checking that the file's size and sha256 match it."""
    if not backup_file.is_file():
        raise BackupError(f"the backup {backup_file} does not exist")
    manifest = BackupManifest.read(manifest_path(backup_file))
    digest = sha256_file(backup_file)
    if digest != manifest.sha256:
        raise BackupError(f"the backup {backup_file} is corrupt or not the one its manifest describes (sha256 "
                          f"{digest[:16]}... but the manifest says {manifest.sha256[:16]}...); nothing was restored")
    return manifest


def _live(lease: Lease, ttl: timedelta, now: datetime) -> bool:
    dead = lease.host == socket.gethostname() and not pid_alive(lease.pid)
    return not dead and now - lease.heartbeat <= ttl


def _check_target(repo: BackupRepository, config: TheoConfig, yes: bool) -> None:
    lease = repo.engine_lease()
    now = datetime.now(UTC)
    if lease is not None and _live(lease, timedelta(seconds=config.execution.lock_ttl_seconds), now):
        age = (now - lease.heartbeat).total_seconds()
        raise BackupError(f"the store {repo.location} is in use by a running Theo (pid {lease.pid} on {lease.host}, "
                          f"last heartbeat {age:.0f} s ago); stop `theo run` before restoring")
    rows = sum(repo.row_counts().values())
    if rows and not yes:
        raise BackupError(f"the store {repo.location} is not empty ({rows} rows in its key tables); restoring "
                          f"replaces everything in it: pass --yes to overwrite it")


def restore(config: TheoConfig, backup_file: Path, *, yes: bool = False) -> tuple[BackupManifest, dict[str, int]]:
    """Restore ``backup_file`` into the configured store; return its manifest and the restored row counts."""
    manifest = verify(backup_file)
    url = _url(config)
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite != (manifest.format == "sqlite"):
        raise BackupError(f"the backup is a {manifest.format} backup but the configured store is "
                          f"{url.get_backend_name()}; restore it into a store of the same kind")
    store = connect(config.database_url())
    try:
        _check_target(BackupRepository(store), config, yes)
    finally:
        store.dispose()
    if is_sqlite:
        target = _sqlite_file(url)
        for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            if not target.exists():  # a WAL left behind by a deleted store must not be replayed onto the copy
                stale.unlink(missing_ok=True)
        sqlite_copy(backup_file, target)
    else:
        args, env = _pg_args(url)
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error", *args,
              str(backup_file)], env, "pg_restore")
    counts = _counts(config.database_url())
    wrong = {t: (n, counts.get(t)) for t, n in manifest.row_counts.items() if counts.get(t) != n}
    if wrong:
        detail = ", ".join(f"{t}: {got} rows, expected {n}" for t, (n, got) in sorted(wrong.items()))
        raise BackupError(f"the restored store does not match the backup's manifest ({detail})")
    return manifest, counts
