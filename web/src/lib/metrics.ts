/** Backtest metrics as a trader reads them: fractions as percentages, money with cents, ratios to 2 places. */

import { formatDecimal, formatMoney } from "./format";

const FRACTION = /(^|_)(return|drawdown|win_rate|exposure)$/;
const MONEY = /(pnl|equity|charges|expectancy|capital|cash|fees?)(_closed)?$/;
const COUNT = /(^|_)(trades|fills|orders|signals|items|bars|days|deals|wins|losses|open)(_[a-z]+)?$/;

export function formatMetric(key: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (typeof value === "boolean" || Number.isNaN(n)) return String(value);
  if (FRACTION.test(key) && !key.includes("duration")) return `${formatDecimal(n * 100, 2)}%`;
  if (MONEY.test(key)) return formatMoney(n);
  if (key.includes("duration_days")) return `${formatDecimal(n, 2)} d`;
  if (COUNT.test(key) || key.endsWith("_bars")) return Number.isInteger(n) ? formatDecimal(n, 0) : formatDecimal(n, 2);
  return formatDecimal(n, Math.abs(n) < 10 ? 3 : 2);
}
