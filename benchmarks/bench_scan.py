"""Correlation strategy + scanner throughput on the real eqker week (SPY vs VIX, VXXB, QQQ), and the rule
language's evaluation rate. No targets are set; the figures show the per-bar cost of a scan."""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import Result, Section, best_of, data_file

FILES = {
    "SPY": "eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz",
    "QQQ": "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz",
    "VIX": "eqker/VIX_1min_2019-02-11_2019-02-15.csv.gz",
    "VXXB": "eqker/VXXB_1min_2019-02-11_2019-02-15.csv.gz",
}
CONFIG = {
    "strategies": [{
        "type": "correlation", "name": "bench", "primary": "SPY", "timeframe": "1m",
        "correlated": [{"symbol": "VIX", "sign": "negative"}, {"symbol": "VXXB", "sign": "negative"},
                       {"symbol": "QQQ", "sign": "positive", "confirm": "same"}],
        "require": "any", "entry_rules": ["abs(corr) >= 0.3 and atr(14) > 0"],
        "correlation": {"window": 60, "min_points": 30, "threshold": 0.3},
    }],
    "scanner": {"scanners": [{"name": "bench", "strategy": "bench"}]},
}
RULE_EVALS = 200_000


def _scan(paths: dict[str, Path]) -> list[Result]:
    from theo.config.schema import TheoConfig
    from theo.strategy.library.correlation import CorrelationStrategy
    from theo.strategy.scanner.run import load_bars, run_scan

    cfg = TheoConfig.model_validate(CONFIG)
    series, _ = load_bars(paths, {(s, "1m") for s in paths})
    bars = sorted((b for group in series.values() for b in group), key=lambda b: (b.end, b.symbol))
    strategy = CorrelationStrategy(cfg.strategies[0])  # type: ignore[arg-type]

    def feed() -> int:
        strategy.reset()
        n = sum(len(strategy.on_bar(b)) for b in bars)
        return n + len(strategy.flush())

    t_strategy, signals = best_of(feed)
    t_total, result = best_of(lambda: run_scan(cfg, paths), repeat=2)
    return [
        Result("correlation strategy, 4 symbols, 1m bars", len(bars) / t_strategy, "bars/s",
               note=f"{len(bars):,} bars, {signals} raw signals"),
        Result("theo scan end to end (read files + strategy + scanner)", t_total * 1000, "ms",
               note=f"{result.bars:,} bars, {len(result.records)} signals kept"),
    ]


def _rules() -> list[Result]:
    from theo.strategy.rules import parse_rule

    rule = parse_rule("atr(14) > 0.5 and abs(corr) >= 0.7 and not (QQQ.close < QQQ.sl)", ["SPY", "QQQ"])
    values = {"atr(14)": 0.6, "corr": -0.8, "QQQ.close": 3.0, "QQQ.sl": 2.0}

    def run() -> int:
        return sum(rule.evaluate(values) for _ in range(RULE_EVALS))

    t, _ = best_of(run)
    t_parse, _ = best_of(lambda: [parse_rule("atr(14) > 0.5 and corr >= 0.7") for _ in range(2000)])
    return [Result("rule evaluation (3 comparisons, 4 values)", RULE_EVALS / t, "evaluations/s"),
            Result("rule parse + validate", 2000 / t_parse, "rules/s")]


def run() -> Section | None:
    paths = {s: data_file(rel) for s, rel in FILES.items()}
    if any(p is None for p in paths.values()):
        return None
    section = Section("Correlation strategy and scanner", "python -m benchmarks scan")
    section.results += _scan({s: p for s, p in paths.items() if p is not None})
    section.results += _rules()
    section.notes.append("Data: ../shared/data/eqker, 2019-02-11..15, 1-minute bars of SPY, QQQ, VIX, VXXB.")
    return section
