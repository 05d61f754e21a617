"""SIGKILL the archive at many points of its protocol: nothing is lost, nothing duplicated.

Each run is a forked child process (fork keeps the start-up cost of importing pyarrow and SQLAlchemy out
of the 28 runs). A child either pauses at its N-th durable step and is SIGKILLed there by the parent, or
is SIGKILLed after a random short delay, wherever it happens to be.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import time
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import Engine

from tests.unit.persistence.archive.seed import db_ticks, insert_ticks, make_ticks
from theo.persistence.archive import Archiver, et_midnight, verify_archive
from theo.persistence.archive.files import read_rows
from theo.persistence.db import make_engine

CUTOFF = et_midnight(date(2013, 10, 20))  # every seeded day is archived: 10 days x 3 symbols = 30 files
STEPS = ("file-written", "manifest-written", "jsonl-written", "verified", "purge:deleted", "purged")
# Where the step kills land: (step name, occurrence within that child run). "purge:deleted" is inside the
# purge transaction, before its commit; "recovered" is after the recovery of what the last run left.
PAUSE_POINTS = [(name, 1) for name in STEPS] + [("recovered", 1)] + [(name, 2) for name in STEPS] + \
    [("purge:deleted", 1), ("file-written", 1), ("verified", 2), ("manifest-written", 1), ("purged", 3),
     ("jsonl-written", 1), ("purge:deleted", 3), ("recovered", 1), ("verified", 1)]
FORK = multiprocessing.get_context("fork")


def _child(url: str, directory: Path, cutoff: datetime, pause_at: tuple[str, int], out: Connection) -> None:
    seen: dict[str, int] = {}

    def hook(step: str) -> None:
        seen[step] = seen.get(step, 0) + 1
        out.send(f"STEP {seen[step]} {step}")
        if (step, seen[step]) == pause_at:
            out.send("PAUSED")
            time.sleep(600)  # the parent SIGKILLs us here

    Archiver(make_engine(url), directory, on_step=hook).run(cutoff)
    out.send("DONE")


def _spawn(engine: Engine, directory: Path,
           pause_at: tuple[str, int]) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    engine.dispose()  # no pooled SQLite connection crosses the fork
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=_child, args=(str(engine.url), directory, CUTOFF, pause_at, send), daemon=True)
    proc.start()
    send.close()
    return proc, receive


def _kill_when_paused(engine: Engine, directory: Path, pause_at: tuple[str, int]) -> str:
    """Run a child until it pauses (SIGKILL it, return the step) or finishes (return DONE)."""
    proc, messages = _spawn(engine, directory, pause_at)
    last = ""
    while True:
        assert messages.poll(180), "child neither paused nor finished within 180 s"
        try:
            msg = messages.recv()
        except EOFError:
            proc.join(10)
            raise AssertionError(f"child died on its own (exit code {proc.exitcode}) after {last!r}") from None
        if msg == "PAUSED":
            assert proc.pid is not None
            proc.kill()  # SIGKILL
            proc.join(10)
            assert proc.exitcode == -signal.SIGKILL
            return last
        if msg == "DONE":
            proc.join(10)
            assert proc.exitcode == 0
            return "DONE"
        last = msg


def _archived(archiver: Archiver) -> list[tuple[object, ...]]:
    return [r for e in archiver.entries() for r in read_rows(archiver.file_path(e))]


def test_sigkill_at_any_step_loses_and_duplicates_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    original = make_ticks(6000, days=10, symbols=("SPY", "IBM", "QQQ"))
    insert_ticks(sqlite_engine, original)
    directory = tmp_path / "archive"
    checker = Archiver(sqlite_engine, directory)
    killed_at: list[str] = []
    rng = random.Random(20131007)
    kills: list[tuple[str, tuple[str, int]]] = [("pause", p) for p in PAUSE_POINTS]
    for i in range(6):  # random-delay kills spread between the step kills
        kills.insert(4 * i + 3, ("delay", ("", 0)))
    for how, point in kills:
        if how == "pause":
            killed_at.append(_kill_when_paused(sqlite_engine, directory, point))
        else:
            # The child may not get past its second file whatever the machine's speed, so the step kills that
            # follow still find work to interrupt (on a quiet machine 80 ms is enough to archive many files).
            proc, _ = _spawn(sqlite_engine, directory, ("file-written", 2))
            time.sleep(rng.uniform(0.01, 0.08))
            proc.kill()
            proc.join(10)
            killed_at.append(f"after a random delay (exit code {proc.exitcode})")
        # After every kill: every original tick is in the database or in a file the manifest recorded.
        assert set(db_ticks(sqlite_engine)) | set(_archived(checker)) == set(original), killed_at[-1]
    kinds = {k.split()[-1] for k in killed_at if k.startswith("STEP")}
    assert {*STEPS, "recovered"} <= kinds
    assert len([k for k in killed_at if k.startswith("STEP")]) == len(PAUSE_POINTS)  # none finished early
    assert _kill_when_paused(sqlite_engine, directory, ("", 0)) == "DONE"
    archived = _archived(checker)
    assert db_ticks(sqlite_engine) == []
    assert len(archived) == len(original)
    assert sorted(archived) == sorted(original)
    assert verify_archive(checker).ok
    assert {e.state for e in checker.entries()} == {"purged"}
    assert not list(directory.rglob("*.tmp"))
    on_disk = {p.relative_to(directory).as_posix() for p in directory.rglob("*.parquet")}
    assert on_disk == {e.path for e in checker.entries()}
