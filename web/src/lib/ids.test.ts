import { describe, expect, it } from "vitest";
import { shortNumber, shortOrderId } from "./ids";

describe("short ids", () => {
  it("keeps the signal and the leg of an order id", () => {
    expect(shortOrderId("corr_spy_qqq-s2648674352176373158-entry-tp")).toBe("s2648…3158-entry-tp");
    expect(shortOrderId("corr_spy_qqq-s2648674352176373158-entry")).toBe("s2648…3158-entry");
  });

  it("leaves short ids alone", () => {
    expect(shortOrderId("ord-12")).toBe("12");
    expect(shortOrderId(42)).toBe("42");
    expect(shortNumber("1493014921058161776")).toBe("14930…1776");
    expect(shortNumber("12345")).toBe("12345");
  });
});
