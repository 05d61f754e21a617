import { describe, expect, it } from "vitest";
import { clampCorrelation, correlationColor, legendStops, MISSING, textColorOn } from "./heatmap";

describe("correlationColor", () => {
  it("is full red at +1 and full blue at -1", () => {
    expect(correlationColor(1)).toBe("rgb(220, 38, 38)");
    expect(correlationColor(-1)).toBe("rgb(37, 99, 235)");
  });

  it("is the neutral panel colour at 0, per theme", () => {
    expect(correlationColor(0, "dark")).toBe("rgb(40, 44, 52)");
    expect(correlationColor(0, "light")).toBe("rgb(245, 245, 245)");
  });

  it("mixes linearly in between", () => {
    // halfway from (40,44,52) to (220,38,38)
    expect(correlationColor(0.5, "dark")).toBe("rgb(130, 41, 45)");
    expect(correlationColor(-0.5, "dark")).toBe("rgb(39, 72, 144)");
  });

  it("clamps values outside [-1, 1] and greys missing ones", () => {
    expect(correlationColor(1.7)).toBe(correlationColor(1));
    expect(correlationColor(-3)).toBe(correlationColor(-1));
    expect(correlationColor(null)).toBe(MISSING);
    expect(correlationColor(Number.NaN)).toBe(MISSING);
    expect(clampCorrelation(undefined)).toBeNull();
  });

  it("picks readable text", () => {
    expect(textColorOn("rgb(245, 245, 245)")).toBe("#111");
    expect(textColorOn("rgb(37, 99, 235)")).toBe("#fff");
  });

  it("spans the scale from -1 to +1 in its legend", () => {
    const stops = legendStops(5);
    expect(stops.map((s) => s.value)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(stops[0].color).toBe(correlationColor(-1));
    expect(stops[4].color).toBe(correlationColor(1));
  });
});
