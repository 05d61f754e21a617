import { describe, expect, it } from "vitest";
import {
  exchangeDayBounds,
  formatAge,
  formatDecimal,
  formatExchangeTime,
  formatMoney,
  formatPercent,
  formatPnl,
  pnlClass,
} from "./format";

describe("formatExchangeTime", () => {
  it("shows an ISO UTC time in New York winter time", () => {
    expect(formatExchangeTime("2026-12-04T15:31:05Z")).toBe("2026-12-04 10:31:05 ET");
  });

  it("shows summer time (EDT, UTC-4)", () => {
    expect(formatExchangeTime("2026-07-01T13:30:00+00:00")).toBe("2026-07-01 09:30:00 ET");
  });

  it("reads epoch seconds as chart bars send them", () => {
    expect(formatExchangeTime(Date.UTC(2026, 11, 4, 14, 30) / 1000)).toBe("2026-12-04 09:30:00 ET");
  });

  it("crosses midnight into the previous exchange day", () => {
    expect(formatExchangeTime("2026-12-05T03:00:00Z", false)).toBe("2026-12-04 22:00:00");
  });

  it("shows a dash for nothing or garbage", () => {
    expect(formatExchangeTime(null)).toBe("—");
    expect(formatExchangeTime("not a time")).toBe("—");
  });
});

describe("formatMoney", () => {
  it("rounds decimal strings exactly, half away from zero", () => {
    expect(formatMoney("1234.565")).toBe("1,234.57");
    expect(formatMoney("-1234.565")).toBe("-1,234.57");
    expect(formatMoney("0.005")).toBe("0.01");
    expect(formatMoney("2.675")).toBe("2.68");
  });

  it("pads to two decimals and groups thousands", () => {
    expect(formatMoney("100000")).toBe("100,000.00");
    expect(formatMoney(12.5)).toBe("12.50");
    expect(formatMoney("1234567.891")).toBe("1,234,567.89");
  });

  it("reads Python Decimal exponents", () => {
    expect(formatMoney("0E-8")).toBe("0.00");
    expect(formatMoney("1.5E+3")).toBe("1,500.00");
  });

  it("never shows minus zero", () => {
    expect(formatMoney("-0.001")).toBe("0.00");
  });

  it("shows a dash for missing values", () => {
    expect(formatMoney(null)).toBe("—");
    expect(formatMoney("")).toBe("—");
    expect(formatMoney("abc")).toBe("—");
  });

  it("keeps other precisions", () => {
    expect(formatDecimal("0.123456", 4)).toBe("0.1235");
    expect(formatDecimal("1234.5", 0, false)).toBe("1235");
  });
});

describe("P&L", () => {
  it("signs gains, keeps losses and zero", () => {
    expect(formatPnl("12.3")).toBe("+12.30");
    expect(formatPnl("-4")).toBe("-4.00");
    expect(formatPnl("0")).toBe("0.00");
    expect(formatPnl("1500")).toBe("+1,500.00");
  });

  it("classes the sign", () => {
    expect(pnlClass("1.00")).toBe("pos");
    expect(pnlClass("-0.01")).toBe("neg");
    expect(pnlClass("0.00")).toBe("zero");
    expect(pnlClass(null)).toBe("zero");
  });

  it("formats percentages and ages", () => {
    expect(formatPercent("3.14159")).toBe("3.14%");
    expect(formatAge(5)).toBe("5 s");
    expect(formatAge(125)).toBe("2m 05s");
    expect(formatAge(7260)).toBe("2h 01m");
  });
});

describe("exchangeDayBounds", () => {
  it("gives a winter day's UTC bounds", () => {
    expect(exchangeDayBounds("2026-12-04")).toEqual({
      from: "2026-12-04T05:00:00.000Z",
      to: "2026-12-05T04:59:59.000Z",
    });
  });

  it("gives a summer day's UTC bounds", () => {
    expect(exchangeDayBounds("2026-07-01")?.from).toBe("2026-07-01T04:00:00.000Z");
  });

  it("handles the spring clock change (a 23-hour day)", () => {
    expect(exchangeDayBounds("2026-03-08")).toEqual({
      from: "2026-03-08T05:00:00.000Z",
      to: "2026-03-09T03:59:59.000Z",
    });
  });

  it("rejects anything but a day", () => {
    expect(exchangeDayBounds("")).toBeUndefined();
    expect(exchangeDayBounds("12/04/2026")).toBeUndefined();
  });
});
