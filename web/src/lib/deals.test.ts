import { describe, expect, it } from "vitest";
import { dealCell } from "./deals";

describe("dealCell", () => {
  it("shows times in exchange time", () => {
    expect(dealCell("entry_date", "2026-01-05T09:42:00-05:00")).toBe("2026-01-05 09:42:00 ET");
    expect(dealCell("exit_ts", "2026-07-01T14:00:00Z")).toBe("2026-07-01 10:00:00 ET");
  });

  it("shows money and percentages by the column's key", () => {
    expect(dealCell("net_pnl", "1968.2")).toBe("1,968.20");
    expect(dealCell("total_charges", "7.891")).toBe("7.89");
    expect(dealCell("net_pnl_pct", "0.57")).toBe("0.57%");
    expect(dealCell("win_rate", "31.58")).toBe("31.58%");
  });

  it("leaves words alone, even in keys that end like money words", () => {
    expect(dealCell("strategy", "corr-spy-qqq")).toBe("corr-spy-qqq");
    expect(dealCell("charges_source", "schedule")).toBe("schedule");
    expect(dealCell("entry_qty", "763")).toBe("763");
    expect(dealCell("comment", "")).toBe("—");
  });
});
