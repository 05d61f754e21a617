/** Turns API points into chart series: times as UTC epoch seconds, strictly ascending, one value per time. */

import { toDate } from "./format";

export interface XY {
  time: number;
  value: number;
}

export function toSeconds(t: string | number | null | undefined): number | null {
  if (typeof t === "number") return Number.isFinite(t) ? Math.floor(t) : null;
  const date = toDate(t);
  return date ? Math.floor(date.getTime() / 1000) : null;
}

/** Sorted by time; a later point at the same second replaces the earlier one; unreadable points are dropped. */
export function toSeries<T>(points: T[], time: (p: T) => string | number | null | undefined,
  value: (p: T) => unknown): XY[] {
  const byTime = new Map<number, number>();
  for (const p of points) {
    const t = toSeconds(time(p));
    const raw = value(p);
    const v = raw === null || raw === undefined || raw === "" ? NaN : Number(raw);
    if (t === null || !Number.isFinite(v)) continue;
    byTime.set(t, v);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, v]) => ({ time, value: v }));
}

/** A drawdown fraction (−0.05) as the percentage the chart shows (−5). */
export function fractionToPercent(points: XY[]): XY[] {
  return points.map(({ time, value }) => ({ time, value: value * 100 }));
}

/** Drawdown as a negative percentage below the running equity peak, when the API gives none. */
export function drawdownFromEquity(equity: XY[]): XY[] {
  let peak = -Infinity;
  return equity.map(({ time, value }) => {
    peak = Math.max(peak, value);
    return { time, value: peak > 0 ? ((value - peak) / peak) * 100 : 0 };
  });
}
