"""`make bench-peers`: Theo's default path against backtrader and NautilusTrader, same data, same strategy.

The strategy is a 20-bar Donchian stop-and-reverse, 100 shares, market orders decided at a bar's close and
filled at the next bar's open, no commission (benchmarks/peers_*.py). The data are seeded random walks on
NYSE session minutes, 2 × ``THEO_PEER_BARS`` (default 500,000) 1-minute bars, and ``THEO_PEER_TICKS``
(default 1,000,000) trade ticks (benchmarks/engine_data.py), written once to ``.npz`` files.

Every engine runs in its own process (the peers in ``var/peers-venv``, installed at run time when missing:
NautilusTrader pins pandas < 3 and would otherwise downgrade Theo's) and is timed the same way
(benchmarks/peers_common.py): data converted to the engine's own structures first, then only the run
phase, CPU and wall seconds. The fill lists of Theo and NautilusTrader are diffed against backtrader's; any
difference is printed and the command exits non-zero after saving the section with the targets unmet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Result, Section, save
from benchmarks.engine_data import FIRST_SESSION, bar_market, export_npz, tick_market

BARS = int(os.environ.get("THEO_PEER_BARS", "500000"))  # per symbol
TICKS = int(os.environ.get("THEO_PEER_TICKS", "1000000"))
VENV = ROOT / "var" / "peers-venv"
PEER_PACKAGES = ("backtrader", "nautilus_trader", "numpy", "pandas")
BAR_TARGET, TICK_TARGET = 10.0, 4.0
#: runs per engine, best taken: backtrader needs minutes per run at full size, so one run there
REPEAT = {"Theo": 3, "NautilusTrader": 2, "backtrader": 1 if BARS > 100_000 else 2}
Row = tuple[str, int, str, float, float]


def _peer_python() -> Path:
    return VENV / "bin" / "python"


def ensure_peers() -> str | None:
    """Create the peers' virtualenv and install what is missing; the reason it failed, or None."""
    if not _peer_python().exists():
        base = getattr(sys, "_base_executable", None) or "python3"
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    probe = [str(_peer_python()), "-c", "import " + ", ".join(PEER_PACKAGES)]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return None
    print(f"installing {' '.join(PEER_PACKAGES)} into {VENV} ...", flush=True)
    r = subprocess.run([str(_peer_python()), "-m", "pip", "install", "-q", *PEER_PACKAGES],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"pip install failed: {r.stderr.strip().splitlines()[-1:]}"
    return None


def run_engine(python: Path | str, module: str, npz: Path, repeat: int) -> dict[str, Any]:
    """Run one engine script in its own process; its result line, or ``{"error": ...}``."""
    r = subprocess.run([str(python), "-m", module, str(npz), str(repeat)], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return {"error": f"{module} failed: {r.stderr.strip().splitlines()[-1:]}"}
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    out["rows"] = sorted((str(s), int(t), str(side), float(q), float(p)) for s, t, side, q, p in out.pop("fills"))
    return out


def measure_all(kind: str, npz: Path, peers: dict[str, str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Theo, then each peer (name: module run in the peers' virtualenv) on ``npz``; results and failures."""
    outs: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    engines = [("Theo", Path(sys.executable), "benchmarks.peers_theo")]
    engines += [(name, _peer_python(), module) for name, module in peers.items()]
    for name, python, module in engines:
        print(f"{kind}: {name} (best of {REPEAT[name]}) ...", flush=True)
        load = os.getloadavg()[0]
        out = run_engine(python, module, npz, REPEAT[name])
        if "error" in out:
            failures.append(f"{name} on {kind}: not measured — {out['error']}")
        else:
            outs[name] = out | {"load": (load + os.getloadavg()[0]) / 2}
    return outs, failures


def fill_diff(name: str, rows: list[Row], ref_name: str, ref: list[Row], show: int = 5) -> list[str]:
    """Empty when both fill lists are equal (exactly); else a report with the first differing rows of each side."""
    if rows == ref:
        return []
    only = sorted((Counter(rows) - Counter(ref)).elements())
    only_ref = sorted((Counter(ref) - Counter(rows)).elements())
    lines = [f"FILLS DIFFER: {name} {len(rows):,} fills, {ref_name} {len(ref):,}; {len(only):,} rows only in "
             f"{name}, {len(only_ref):,} only in {ref_name}",
             f"  first {show} only in {name} (symbol, UTC µs, side, qty, price): {only[:show]}",
             f"  first {show} only in {ref_name}: {only_ref[:show]}"]
    return lines


def _figures(section: Section, label: str, out: dict[str, Any], unit: str, what: str) -> float:
    """Add an engine's per-CPU-second and per-wall-second rows; return its per-CPU-second rate."""
    cpu, wall = out["items"] / out["cpu"], out["items"] / out["wall"]
    runs = f"best of {out['repeat']}"
    section.results.append(Result(f"{label}: {unit} per CPU second, run phase, {what}", cpu, f"{unit}/CPU s",
                                  note=f"{out['engine']}; {len(out['rows']):,} fills; {runs}; "
                                  f"{out['cpu']:.2f} CPU s"))
    section.results.append(Result(f"{label}: {unit} per wall second, run phase", wall, f"{unit}/s",
                                  note=f"{runs}; {out['wall']:.2f} s; shared machine: load average "
                                  f"{out['load']:.1f} on {os.cpu_count()} cores"))
    return cpu


def _ratio(section: Section, theo: float, peer: str, rate: float, target: float, fills_ok: bool, unit: str) -> None:
    ratio = theo / rate
    section.results.append(Result(f"Theo ÷ {peer}, {unit} per CPU second", ratio, "×", f"≥ {target:g}×",
                                  ratio >= target and fills_ok, "" if fills_ok else "fills differ: target unmet"))


def bars_part(section: Section, npz: Path, peers_ok: bool) -> list[str]:
    """Measure the three engines on bars, diff the fills; the failures (empty when all is well)."""
    what = f"2 × {BARS:,} 1-minute bars"
    peers = {"backtrader": "benchmarks.peers_backtrader", "NautilusTrader": "benchmarks.peers_nautilus"}
    outs, failures = measure_all("bars", npz, peers if peers_ok else {})
    theo = outs.get("Theo")
    if theo is not None:
        section.notes.append(f"Theo measured: {theo['engine']} (result.path): the one engine a user gets by "
                             f"default (trade manager, pre-trade checks, order service, in-memory journal, simulated "
                             f"broker on every order); skip-ahead only leaves out the items where nothing can happen.")
        section.notes += [f"Theo: {n}" for n in theo.get("notes", [])]
    rates = {name: _figures(section, name, out, "bars", what) for name, out in outs.items()}
    ref = outs.get("backtrader")
    same: dict[str, bool] = {}
    for name in ("Theo", "NautilusTrader"):
        if name in outs and ref is not None:
            report = fill_diff(name, outs[name]["rows"], "backtrader", ref["rows"])
            same[name] = not report
            failures += report
    if theo is not None:
        for peer in ("backtrader", "NautilusTrader"):
            if peer in rates:
                # Theo's fills must equal backtrader's; against Nautilus, Nautilus's must equal them too.
                ok = same.get("Theo", False) and (peer == "backtrader" or same.get(peer, False))
                _ratio(section, rates["Theo"], peer, rates[peer], BAR_TARGET, ok, "bars")
    if ref is not None:
        agree = [n for n, ok in same.items() if ok]
        section.notes.append(f"Fill lists (symbol, UTC µs, side, quantity, price; compared exactly): "
                             f"{', '.join(agree) or 'no engine'} identical to backtrader's "
                             f"({len(ref['rows']):,} fills)" + ("" if len(agree) == len(same) else
                                                                f"; {', '.join(n for n in same if not same[n])} "
                                                                f"DIFFER — see the failures below"))
    return failures


def ticks_part(section: Section, npz: Path, peers_ok: bool) -> list[str]:
    """Nautilus (and Theo, for the ratio) on the same trade ticks."""
    what = f"{TICKS:,} trade ticks"
    outs, failures = measure_all("ticks", npz, {"NautilusTrader": "benchmarks.peers_nautilus_ticks"} if peers_ok
                                 else {})
    rates = {name: _figures(section, f"{name} (ticks)", out, "ticks", what) for name, out in outs.items()}
    if "Theo" in rates and "NautilusTrader" in rates:
        _ratio(section, rates["Theo"], "NautilusTrader", rates["NautilusTrader"], TICK_TARGET, True, "ticks")
    return failures


def notes(section: Section) -> None:
    section.notes += [
        f"Data: seeded random walks, prices on the cent, on NYSE regular-session minutes from {FIRST_SESSION} "
        f"(XNYS calendar: holidays skipped, early closes kept); bars [start, start + 1 min), 2 symbols; ticks "
        f"about 8 a second inside sessions, 1 symbol (benchmarks/engine_data.py). All engines read the same "
        f".npz.",
        "Strategy, identical in the three engines: 20-bar Donchian stop-and-reverse (close crosses above the "
        "highest high / below the lowest low of the previous 20 bars), 100 shares, market orders decided at a "
        "bar's close and filled at the next bar's open, a reversal = a closing and an opening 100-share order; "
        "no commission, slippage or stops. Theo: donchian_breakout, entry_period = exit_period = 20 "
        "(benchmarks/peers_theo.py).",
        "What is timed, the same for every engine, each in its own process: the data are first converted to the "
        "engine's own structures (Theo's MarketData; backtrader's PandasData feeds preloaded through "
        "backtrader's own preloaded-data path; Nautilus's add_data), then only the run phase (Theo's "
        "run_backtest, cerebro.run(), engine.run()) is timed with time.process_time (CPU) and "
        "time.perf_counter (wall). Data generation and loading are excluded for all engines.",
        f"Best of: Theo {REPEAT['Theo']}, NautilusTrader {REPEAT['NautilusTrader']}, backtrader "
        f"{REPEAT['backtrader']} run(s); CPU and wall are each the best of the runs. Ratios use CPU seconds "
        f"(the machine is shared; wall time depends on the other jobs, and CPU time too, less so: cores and "
        f"caches are shared). The load average beside each wall figure is the mean of the 1-minute load "
        f"averages before and after that engine ran.",
        "NautilusTrader on bars gets each bar's open as a trade tick as well (its venue fills a market order "
        "at once, so the orders decided in on_bar go out on the next open tick): two events per bar; the "
        "figures count bars.",
        "Ticks: Nautilus gets every tick as a TradeTick and builds the 1-minute bars itself "
        "(1-MINUTE-LAST-INTERNAL); its orders go out from on_bar and fill at the last trade, Theo's at the "
        "next tick, so the tick fill prices differ and the tick fill lists are not compared (checked on "
        "100,000 ticks against Theo's batch path: the same orders in the same minutes); the figures count ticks.",
        f"Peers run in their own virtualenv ({VENV.relative_to(ROOT)}), installed at run time when missing.",
    ]


def run() -> tuple[Section, list[str]]:
    command = "make bench-peers" + ("" if BARS == 500_000 and TICKS == 1_000_000 else
                                    f" (THEO_PEER_BARS={BARS}, THEO_PEER_TICKS={TICKS})")
    section = Section("Peers: Theo's default path against backtrader and NautilusTrader", command)
    problem = ensure_peers()
    failures = [] if problem is None else [f"peers not measured — {problem}"]
    with tempfile.TemporaryDirectory() as tmp:
        bars_npz, ticks_npz = Path(tmp) / "bars.npz", Path(tmp) / "ticks.npz"
        export_npz(bar_market(BARS), bars_npz)
        export_npz(tick_market(TICKS), ticks_npz)
        failures += bars_part(section, bars_npz, problem is None)
        failures += ticks_part(section, ticks_npz, problem is None)
    notes(section)
    section.notes += [f"FAILED: {f}" for f in failures]
    return section, failures


def main() -> int:
    from benchmarks.__main__ import render

    section, failures = run()
    save("peers", section)
    (ROOT / "BENCHMARKS.md").write_text(render())
    for r in section.results:
        met = "" if r.met is None else f"  target {r.target}: {'met' if r.met else 'NOT MET'}"
        print(f"  {r.name}: {r.value:,.1f} {r.unit}{met}  ({r.note})" if r.note else
              f"  {r.name}: {r.value:,.1f} {r.unit}{met}")
    for n in section.notes:
        print(f"  - {n}")
    if failures:
        print("\nbench-peers FAILED:", file=sys.stderr)
        for f in failures:
            print(f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
