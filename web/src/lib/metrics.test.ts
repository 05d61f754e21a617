import { describe, expect, it } from "vitest";
import { formatMetric } from "./metrics";

describe("formatMetric", () => {
  it("shows fractions as percentages", () => {
    expect(formatMetric("win_rate", 0.315789)).toBe("31.58%");
    expect(formatMetric("max_drawdown", -0.0661)).toBe("-6.61%");
    expect(formatMetric("annual_return", 0.829665)).toBe("82.97%");
    expect(formatMetric("exposure", 0.72024)).toBe("72.02%");
  });

  it("shows money with cents and counts whole", () => {
    expect(formatMetric("final_equity", 100210.42)).toBe("100,210.42");
    expect(formatMetric("net_pnl_closed", "210.4")).toBe("210.40");
    expect(formatMetric("charges", 312.97)).toBe("312.97");
    expect(formatMetric("trades", 38)).toBe("38");
    expect(formatMetric("items_visited", 187511)).toBe("187,511");
    expect(formatMetric("max_drawdown_duration_bars", 161772)).toBe("161,772");
  });

  it("keeps ratios readable and words as they are", () => {
    expect(formatMetric("sharpe", 1.400939)).toBe("1.401");
    expect(formatMetric("max_drawdown_duration_days", 1.22228)).toBe("1.22 d");
    expect(formatMetric("path", "skip-ahead")).toBe("skip-ahead");
    expect(formatMetric("calmar", null)).toBe("—");
  });
});
