"""Shared pieces of the benchmarks: results, machine description, data location, timers."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED_DATA = Path(os.environ.get("THEO_SHARED_DATA", ROOT.parent / "shared" / "data"))


@dataclass
class Result:
    """One measured figure, with its target (when one is set) and whether it was met."""

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Section:
    title: str
    command: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "commit": _git_commit(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=False).stdout.strip()
    except OSError:
        return ""


def data_file(relative: str) -> Path | None:
    path = SHARED_DATA / relative
    if not path.is_file():
        print(f"skipped: {path} is absent (benchmarks on real data need ../shared/data)", file=sys.stderr)
        return None
    return path


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Run ``fn`` ``repeat`` times; return the best wall time in seconds and the last result."""
    best = float("inf")
    out: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save(key: str, section: Section) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{key}.json"
    payload = {"section": asdict(section), "machine": machine()}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
