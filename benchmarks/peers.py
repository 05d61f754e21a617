"""`make bench-peers`: the same Donchian breakout on the same data in backtrader, NautilusTrader and Theo.

The peers are installed at run time, only if missing, into their own virtualenv (``var/peers-venv``):
NautilusTrader pins pandas < 3 and would otherwise downgrade Theo's pandas. Each peer runs in a subprocess
on the same ``.npz`` data; the harness checks that every engine produced the same fills (symbol, time,
side, price), then saves bars/s and Theo's ratio to each in ``benchmarks/results/peers.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, Result, Section, best_of, save
from benchmarks.engine_data import bar_market
from theo.config import TheoConfig
from theo.model.series import to_us
from theo.node.backtest import run_backtest

BARS = int(os.environ.get("THEO_PEER_BARS", "50000"))  # per symbol; backtrader needs minutes for more
ENTRY, EXIT = 20, 10
VENV = ROOT / "var" / "peers-venv"
PEERS = {"backtrader": ("backtrader", "peers_backtrader.py"), "NautilusTrader": ("nautilus_trader",
                                                                                  "peers_nautilus.py")}


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_peers() -> dict[str, str]:
    """Install the missing peers; return {peer: reason} for those that cannot be installed."""
    problems: dict[str, str] = {}
    if not _python().exists():
        base = getattr(sys, "_base_executable", None) or "python3"
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    for name, (module, _) in PEERS.items():
        ok = subprocess.run([str(_python()), "-c", f"import {module}"], capture_output=True).returncode == 0
        if not ok:
            r = subprocess.run([str(_python()), "-m", "pip", "install", "-q", module, "numpy", "pandas"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                problems[name] = f"pip install {module} failed: {r.stderr.strip().splitlines()[-1:]}"
    return problems


def theo_fills() -> tuple[float, list[list[object]], int]:
    data = bar_market(BARS)
    cfg = TheoConfig.model_validate({
        "engine": {"charges": "none", "max_leverage": "1000", "execution": "fast"},
        "strategies": [{"type": "donchian_breakout", "name": "donchian", "symbols": ["AAA", "BBB"],
                        "timeframe": "1m", "entry_period": ENTRY, "exit_period": EXIT, "quantity": "100"}]})
    seconds, result = best_of(lambda: run_backtest(cfg, data), repeat=3)
    fills = sorted([o.symbol, to_us(o.filled), o.side.value, float(o.fill_price)]
                   for o in result.journal.orders if o.filled is not None and o.fill_price is not None)
    return seconds, fills, data.items


def export(path: Path) -> None:
    data = bar_market(BARS)
    arrays: dict[str, np.ndarray] = {"symbols": np.array(data.symbols)}
    for s, v in data.series.items():
        for k in ("start_us", "end_us", "open", "high", "low", "close", "volume"):
            arrays[f"{s}_{k}"] = getattr(v, k)
    np.savez(path, **arrays)


def run() -> Section:
    section = Section("Peers: Donchian breakout in backtrader, NautilusTrader and Theo", "make bench-peers")
    problems = ensure_peers()
    seconds, fills, items = theo_fills()
    theo_rate = items / seconds
    section.results.append(Result(f"Theo, 2 × {BARS:,} 1-minute bars", theo_rate, "bars/s",
                                  note=f"{len(fills):,} fills"))
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "bars.npz"
        export(npz)
        for name, (_, script) in PEERS.items():
            if name in problems:
                section.notes.append(f"{name}: not measured — {problems[name]}")
                continue
            r = subprocess.run([str(_python()), str(ROOT / "benchmarks" / script), str(npz), str(ENTRY), str(EXIT)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                section.notes.append(f"{name}: not measured — it failed: {r.stderr.strip().splitlines()[-1:]}")
                continue
            out = json.loads(r.stdout.strip().splitlines()[-1])
            peer_fills = sorted(out["fills"])
            same = peer_fills == fills
            rate = items / out["seconds"]
            ratio = theo_rate / rate
            section.results.append(Result(f"{name}, same data", rate, "bars/s", note=f"{len(peer_fills):,} fills; "
                                          f"fills {'agree' if same else 'DIFFER'} with Theo's"))
            section.results.append(Result(f"Theo ÷ {name}", ratio, "×", "≥ 10×", ratio >= 10 and same))
            if not same:
                diff = next((a, b) for a, b in zip(peer_fills + [None] * len(fills), fills + [None] * len(peer_fills),
                                                   strict=False) if a != b)
                section.notes.append(f"{name}: first differing fill (peer, Theo): {diff}")
    section.notes += [
        f"Same seeded synthetic 1-minute bars for all engines (benchmarks/engine_data.py); entry {ENTRY}, exit "
        f"{EXIT} bars; market orders fill at the next bar's open; no charges; 100 shares; no stops.",
        "Times exclude loading data; Theo's figure is its full backtest engine (best of 3).",
        "NautilusTrader gets each bar's open as a trade tick too (to fill at the next open), so it handles two "
        "events per bar; bars/s still counts bars.",
        f"Peers run in their own virtualenv ({VENV.relative_to(ROOT)}), installed at run time when missing.",
    ]
    return section


def main() -> int:
    from benchmarks.__main__ import render

    section = run()
    save("peers", section)
    for r in section.results:
        print(f"  {r.name}: {r.value:,.2f} {r.unit}  {r.note}")
    for n in section.notes:
        print(f"  - {n}")
    (ROOT / "BENCHMARKS.md").write_text(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
