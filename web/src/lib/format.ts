/** Display formatters: exchange time (America/New_York) and money with two decimals. */

export const EXCHANGE_TZ = "America/New_York";

const PARTS = new Intl.DateTimeFormat("en-US", {
  timeZone: EXCHANGE_TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

export type TimeInput = string | number | Date | null | undefined;

/** A Date from an API time: an ISO-8601 string, a Date, or UTC epoch seconds (chart bar times). */
export function toDate(value: TimeInput): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function etParts(date: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of PARTS.formatToParts(date)) out[part.type] = part.value;
  return out;
}

/** `2026-12-04 10:31:05 ET`; an empty or unreadable time gives `—`. */
export function formatExchangeTime(value: TimeInput, withZone = true): string {
  const date = toDate(value);
  if (!date) return "—";
  const p = etParts(date);
  const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  return withZone ? `${text} ET` : text;
}

/** `2026-12-04` in exchange time (the trading day). */
export function formatExchangeDate(value: TimeInput): string {
  const date = toDate(value);
  if (!date) return "—";
  const p = etParts(date);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `10:31` (or `10:31:05`) in exchange time, for chart axes. */
export function formatExchangeClock(value: TimeInput, seconds = false): string {
  const date = toDate(value);
  if (!date) return "—";
  const p = etParts(date);
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

const PLAIN_DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?$/;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Rounds a decimal (a string as the API sends it, or a number) half away from zero to `places` and groups
 * thousands: `"1234.565"` → `1,234.57`. Strings are rounded exactly, without going through a float.
 */
export function formatDecimal(value: string | number | null | undefined, places = 2, group = true): string {
  if (value === null || value === undefined || value === "") return "—";
  let text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value.trim();
  if (/e/i.test(text)) {
    const n = Number(text);
    if (!Number.isFinite(n)) return "—";
    text = n.toFixed(Math.max(places + 2, 12));
  }
  const m = PLAIN_DECIMAL.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return "—";
  const negative = m[1] === "-";
  const intPart = m[2] || "0";
  const frac = (m[3] ?? "").padEnd(places + 1, "0");
  let scaled = BigInt(intPart + frac.slice(0, places));
  if (Number(frac[places]) >= 5) scaled += 1n;
  const digits = scaled.toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const cents = places > 0 ? "." + digits.slice(digits.length - places) : "";
  const sign = negative && scaled !== 0n ? "-" : "";
  return sign + (group ? groupThousands(whole) : whole) + cents;
}

/** Money with two decimals: `-1,234.50`. */
export function formatMoney(value: string | number | null | undefined): string {
  return formatDecimal(value, 2);
}

/** P&L with an explicit sign: `+12.30`, `-4.00`, `0.00`. */
export function formatPnl(value: string | number | null | undefined): string {
  const text = formatDecimal(value, 2);
  if (text === "—" || text.startsWith("-") || /^[0.,]+$/.test(text)) return text;
  return "+" + text;
}

/** A CSS class for a signed amount: `pos`, `neg` or `zero`. */
export function pnlClass(value: string | number | null | undefined): string {
  const n = Number(value);
  if (!Number.isFinite(n) || n === 0) return "zero";
  return n > 0 ? "pos" : "neg";
}

/** A ratio or a percentage as given (`pct` is already in percent): `12.35%`. */
export function formatPercent(value: string | number | null | undefined, places = 2): string {
  const text = formatDecimal(value, places);
  return text === "—" ? text : `${text}%`;
}

/** Milliseconds as `3.2 ms`, seconds past a minute as `1m 05s`. */
export function formatLatency(ms: number | string | null | undefined): string {
  const n = Number(ms);
  if (ms === null || ms === undefined || !Number.isFinite(n)) return "—";
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

export function formatAge(seconds: number | string | null | undefined): string {
  const n = Number(seconds);
  if (seconds === null || seconds === undefined || !Number.isFinite(n)) return "—";
  if (n < 60) return `${Math.round(n)} s`;
  if (n < 3600) return `${Math.floor(n / 60)}m ${String(Math.round(n % 60)).padStart(2, "0")}s`;
  if (n < 86400) return `${Math.floor(n / 3600)}h ${String(Math.floor((n % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(n / 86400)}d ${Math.floor((n % 86400) / 3600)}h`;
}

/** Minutes the exchange's wall clock is ahead of UTC at `date` (−300 in winter, −240 in summer). */
export function exchangeOffsetMinutes(date: Date): number {
  const p = etParts(date);
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute),
    Number(p.second));
  return Math.round((wall - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

/** The UTC instants (ISO) of the start and end of exchange day `YYYY-MM-DD`; undefined for an empty day. */
export function exchangeDayBounds(day: string): { from: string; to: string } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // 05:00 UTC is 00:00 or 01:00 in New York: before any 02:00 clock change, so its offset is midnight's.
  const start = utcMidnight - exchangeOffsetMinutes(new Date(utcMidnight + 5 * 3600_000)) * 60_000;
  const nextMidnight = utcMidnight + 86400_000;
  const end = nextMidnight - exchangeOffsetMinutes(new Date(nextMidnight + 5 * 3600_000)) * 60_000;
  return { from: new Date(start).toISOString(), to: new Date(end - 1000).toISOString() };
}
