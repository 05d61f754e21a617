/** The live state folded from the event stream: what the pages overlay on the data they fetched. */

import type { ServerEvent } from "./ws";

export interface LiveTick {
  symbol: string;
  price: string;
  size: string | null;
  ts: string | null;
}

export interface LiveBar {
  symbol: string;
  timeframe: string;
  start: string | number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export interface LiveAlert {
  level: string;
  text: string;
  ts: string | null;
  /** The event's sequence number (the page hides alerts up to a dismissed one). */
  seq: number;
}

export interface LiveState {
  /** Events received since the page loaded (for "something changed" refreshes). */
  seq: number;
  state: { state: string; reason: string | null; actor: string | null; ts: string | null } | null;
  pnl: { realized: string; unrealized: string; total: string; ts: string | null } | null;
  health: { feed: unknown; broker: unknown } | null;
  ticks: Record<string, LiveTick>;
  lastBar: LiveBar | null;
  alerts: LiveAlert[];
  backtests: Record<string, { status: string; progress: number | null }>;
  /** The sequence number of the last event of each kind (pages refetch their lists when theirs moves). */
  touched: Record<string, number>;
}

export const MAX_ALERTS = 20;

export const initialLive: LiveState = {
  seq: 0,
  state: null,
  pnl: null,
  health: null,
  ticks: {},
  lastBar: null,
  alerts: [],
  backtests: {},
  touched: {},
};

function str(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function optStr(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function reduceEvent(live: LiveState, event: ServerEvent): LiveState {
  const data = event.data ?? {};
  const ts = event.ts ?? null;
  const seq = live.seq + 1;
  const next: LiveState = { ...live, seq, touched: { ...live.touched, [event.kind]: seq } };
  switch (event.kind) {
    case "tick": {
      const symbol = str(data.symbol);
      if (!symbol) return next;
      next.ticks = { ...live.ticks, [symbol]: { symbol, price: str(data.price), size: optStr(data.size), ts } };
      return next;
    }
    case "bar":
      next.lastBar = {
        symbol: str(data.symbol),
        timeframe: str(data.timeframe),
        start: (data.start as string | number) ?? "",
        open: str(data.open),
        high: str(data.high),
        low: str(data.low),
        close: str(data.close),
        volume: str(data.volume),
      };
      return next;
    case "state":
      next.state = { state: str(data.state), reason: optStr(data.reason), actor: optStr(data.actor), ts };
      return next;
    case "pnl":
      next.pnl = { realized: str(data.realized), unrealized: str(data.unrealized), total: str(data.total), ts };
      return next;
    case "health":
      next.health = { feed: data.feed, broker: data.broker };
      return next;
    case "alert":
      next.alerts = [{ level: str(data.level) || "info", text: str(data.text), ts, seq }, ...live.alerts].slice(
        0,
        MAX_ALERTS,
      );
      return next;
    case "backtest": {
      const id = str(data.id);
      if (!id) return next;
      const progress = data.progress === null || data.progress === undefined ? null : Number(data.progress);
      next.backtests = { ...live.backtests, [id]: { status: str(data.status), progress } };
      return next;
    }
    default:
      return next;
  }
}

/** A bar event's start as UTC epoch seconds (the API may send ISO text or seconds). */
export function barStartSeconds(start: string | number): number | null {
  if (typeof start === "number") return Number.isFinite(start) ? start : null;
  if (/^\d+(\.\d+)?$/.test(start)) return Number(start);
  const ms = Date.parse(start);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** "5m", "5", "5min" all name the same timeframe. */
export function sameTimeframe(a: string, b: string): boolean {
  const minutes = (tf: string) => (/^(\d+)/.exec(tf) ?? [])[1] ?? tf;
  return minutes(a) === minutes(b);
}
