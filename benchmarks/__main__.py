"""Run benchmark modules and render BENCHMARKS.md from every saved result."""

from __future__ import annotations

import importlib
import json
import sys

from benchmarks.common import RESULTS, ROOT, Section, save

MODULES = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py"))


def render() -> str:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (all) or `make bench BENCH=<name>` (one). Each section gives the machine it",
        "ran on, the command and every figure against its target (when one is set). Never timed in unit tests.",
        "",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        s, m = data["section"], data["machine"]
        lines += [f"## {s['title']}", "", f"Command: `{s['command']}`  ",
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
                  f"{m['os']}; commit {m['commit'] or 'n/a'}, {m['date']}", "",
                  "| figure | measured | target | met |", "|---|---:|---|---|"]
        for r in s["results"]:
            met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
            value = f"{r['value']:,.0f}" if abs(r["value"]) >= 100 else f"{r['value']:.3g}"
            note = f" ({r['note']})" if r["note"] else ""
            lines.append(f"| {r['name']}{note} | {value} {r['unit']} | {r['target']} | {met} |")
        lines += [""] + [f"- {n}" for n in s["notes"]] + ([""] if s["notes"] else [])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    names = argv or MODULES
    for name in names:
        if name not in MODULES:
            print(f"unknown benchmark {name!r}; choose from {', '.join(MODULES)}", file=sys.stderr)
            return 2
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        section: Section | None = module.run()
        if section is not None:
            save(name, section)
            for r in section.results:
                print(f"  {r.name}: {r.value:,.2f} {r.unit}  target {r.target or '-'}  met={r.met}")
    (ROOT / "BENCHMARKS.md").write_text(render())
    print("wrote BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
