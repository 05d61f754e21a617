import { describe, expect, it } from "vitest";
import { describeChange } from "./describe";

describe("describeChange", () => {
  it("lists flat tables with times in exchange time", () => {
    expect(describeChange({ state: "HALTED", reason: "lunch", since: "2026-12-04T20:46:41.662553Z", pending_kill: false }))
      .toBe("state: HALTED, reason: lunch, since: 2026-12-04 15:46:41 ET, pending_kill: false");
  });

  it("keeps nested values as JSON and empty ones as a dash", () => {
    expect(describeChange({ correlation: { threshold: 0.6 } })).toBe('{"correlation":{"threshold":0.6}}');
    expect(describeChange({})).toBe("—");
    expect(describeChange(null)).toBe("—");
    expect(describeChange(["SPY", "QQQ"])).toBe("SPY, QQQ");
    expect(describeChange(0.7)).toBe("0.7");
  });
});
