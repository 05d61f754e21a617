import { describe, expect, it } from "vitest";
import { parseHash, href } from "./route";
import { drawdownFromEquity, toSeconds, toSeries } from "./series";

describe("toSeries", () => {
  it("sorts by time, keeps the last value of a second, drops unreadable points", () => {
    const points = [
      { ts: "2026-12-04T15:00:01Z", v: "3" },
      { ts: "2026-12-04T15:00:00Z", v: "1" },
      { ts: "2026-12-04T15:00:00.500Z", v: "2" },
      { ts: null, v: "9" },
      { ts: "2026-12-04T15:00:02Z", v: null },
      { ts: "2026-12-04T15:00:03Z", v: "abc" },
    ];
    const t0 = Date.UTC(2026, 11, 4, 15) / 1000;
    expect(toSeries(points, (p) => p.ts, (p) => p.v)).toEqual([{ time: t0, value: 2 }, { time: t0 + 1, value: 3 }]);
  });

  it("takes epoch seconds as they are", () => {
    expect(toSeconds(1700000000.7)).toBe(1700000000);
    expect(toSeconds("2026-12-04T15:00:00+00:00")).toBe(Date.UTC(2026, 11, 4, 15) / 1000);
  });

  it("derives the drawdown below the running peak", () => {
    const dd = drawdownFromEquity([{ time: 1, value: 100 }, { time: 2, value: 110 }, { time: 3, value: 99 }, { time: 4, value: 120 }]);
    expect(dd.map((p) => Number(p.value.toFixed(2)))).toEqual([0, 0, -10, 0]);
  });
});

describe("hash routes", () => {
  it("reads the page, the rest and the query", () => {
    const r = parseHash("#/trades/12?tab=closed&symbol=SPY");
    expect(r.page).toBe("trades");
    expect(r.rest).toEqual(["12"]);
    expect(r.params.get("tab")).toBe("closed");
    expect(parseHash("").page).toBe("overview");
  });

  it("builds links without empty values", () => {
    expect(href("orders", { id: 7, status: "" })).toBe("#/orders?id=7");
    expect(href("overview")).toBe("#/overview");
  });
});
