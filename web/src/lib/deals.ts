import { formatExchangeTime, formatMoney, formatPercent } from "./format";

/** A deals-report cell: times in exchange time, money-looking keys with 2 decimals. */
export function dealCell(key: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return formatExchangeTime(value);
  if (/(^|_)(pct|percent|rate)$/.test(key)) return formatPercent(value as string);
  if (/(^|_)(pnl|price|commission|fees?|amount|value|cost|proceeds|mae|mfe|stop|target|charges|equity)$/.test(key) &&
    !Number.isNaN(Number(value))) {
    return formatMoney(value as string);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
