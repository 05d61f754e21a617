"""`theo scan`'s closing lines say what each strategy found and which scanner rule never held."""

from __future__ import annotations

from collections import Counter

from theo.cli.scan_cmd import _explanations
from theo.strategy.scanner.run import ScanResult


def test_a_scan_without_signals_names_the_silent_strategy_and_the_rule_that_never_held() -> None:
    result = ScanResult(strategies=["corr", "don"], found=Counter({"don": 3}),
                        refused={"sc": Counter({"entry_rules": 3}), "late": Counter({"window": 2})},
                        rules={"sc": {"abs(corr) >= 0.9": (0, 3), "SPY.close > 1": (3, 3)},
                               "late": {"corr < 0": (0, 0)}})
    assert _explanations(result) == [
        "strategy corr: no signal found (its rules never held on this data)",
        "strategy don: 3 signals found, 0 kept",
        "scanner sc refused: entry_rules 3",
        "scanner sc rule 'abs(corr) >= 0.9': never held (3 checks)",
        "scanner sc rule 'SPY.close > 1': held 3 of 3 checks",
        "scanner late refused: window 2",
        "scanner late rule 'corr < 0': never checked (no signal reached the rules)",
    ]
