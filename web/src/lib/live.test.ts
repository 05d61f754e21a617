import { describe, expect, it } from "vitest";
import { barStartSeconds, initialLive, MAX_ALERTS, reduceEvent, sameTimeframe, type LiveState } from "./live";
import type { ServerEvent } from "./ws";

function fold(events: ServerEvent[], from: LiveState = initialLive): LiveState {
  return events.reduce(reduceEvent, from);
}

describe("reduceEvent", () => {
  it("keeps the latest tick per symbol", () => {
    const live = fold([
      { kind: "tick", ts: "a", data: { symbol: "SPY", price: "500.10", size: 10 } },
      { kind: "tick", ts: "b", data: { symbol: "QQQ", price: "400.00", size: 1 } },
      { kind: "tick", ts: "c", data: { symbol: "SPY", price: "500.25", size: 5 } },
    ]);
    expect(live.ticks.SPY).toEqual({ symbol: "SPY", price: "500.25", size: "5", ts: "c" });
    expect(live.ticks.QQQ.price).toBe("400.00");
    expect(live.seq).toBe(3);
  });

  it("tracks the trading state, P&L and health", () => {
    const live = fold([
      { kind: "state", ts: "t1", data: { state: "HALTED", reason: "news", actor: "ann" } },
      { kind: "pnl", data: { realized: "10.00", unrealized: "-2.50", total: "7.50" } },
      { kind: "health", data: { feed: { status: "ok" }, broker: { status: "down" } } },
    ]);
    expect(live.state).toEqual({ state: "HALTED", reason: "news", actor: "ann", ts: "t1" });
    expect(live.pnl?.total).toBe("7.50");
    expect(live.health).toEqual({ feed: { status: "ok" }, broker: { status: "down" } });
  });

  it("marks which kinds moved so pages refetch their lists", () => {
    const live = fold([
      { kind: "trade", data: { id: 1 } },
      { kind: "order", data: { id: 2 } },
      { kind: "trade", data: { id: 3 } },
    ]);
    expect(live.touched).toEqual({ trade: 3, order: 2 });
  });

  it("follows backtest progress by id", () => {
    const live = fold([
      { kind: "backtest", data: { id: 7, status: "running", progress: 0.25 } },
      { kind: "backtest", data: { id: 7, status: "done", progress: 1 } },
      { kind: "backtest", data: { id: 8, status: "running", progress: null } },
    ]);
    expect(live.backtests).toEqual({ "7": { status: "done", progress: 1 }, "8": { status: "running", progress: null } });
  });

  it("keeps the newest alerts first, up to a bound", () => {
    const events = Array.from({ length: MAX_ALERTS + 5 }, (_, i) => ({ kind: "alert", data: { level: "warning", text: `a${i}` } }));
    const live = fold(events);
    expect(live.alerts).toHaveLength(MAX_ALERTS);
    expect(live.alerts[0].text).toBe(`a${MAX_ALERTS + 4}`);
  });

  it("does not mutate the previous state", () => {
    const before = fold([{ kind: "tick", data: { symbol: "SPY", price: "1" } }]);
    const snapshot = JSON.stringify(before);
    reduceEvent(before, { kind: "tick", data: { symbol: "SPY", price: "2" } });
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it("keeps the last bar", () => {
    const live = fold([{ kind: "bar", data: { symbol: "SPY", timeframe: "5m", start: 1700000000, open: "1", high: "2",
      low: "0.5", close: "1.5", volume: 100 } }]);
    expect(live.lastBar).toMatchObject({ symbol: "SPY", timeframe: "5m", start: 1700000000, close: "1.5", volume: "100" });
  });
});

describe("bar helpers", () => {
  it("reads a bar start as epoch seconds", () => {
    expect(barStartSeconds(1700000000)).toBe(1700000000);
    expect(barStartSeconds("1700000000")).toBe(1700000000);
    expect(barStartSeconds("2026-12-04T14:30:00Z")).toBe(Date.UTC(2026, 11, 4, 14, 30) / 1000);
    expect(barStartSeconds("junk")).toBeNull();
  });

  it("matches timeframe spellings", () => {
    expect(sameTimeframe("5m", "5")).toBe(true);
    expect(sameTimeframe("5min", "5m")).toBe(true);
    expect(sameTimeframe("15m", "5m")).toBe(false);
  });
});
