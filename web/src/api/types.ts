/**
 * The API's response shapes as the dashboard reads them (API.md). Money and prices are decimal strings, times
 * ISO-8601 UTC strings (chart bars: UTC epoch seconds).
 */

export type Role = "viewer" | "trader" | "admin";
export type TradingState = "ACTIVE" | "REDUCING" | "HALTED";
export type Decimal = string;

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Me {
  username: string;
  role: Role;
  csrf_token: string;
  expires_at: string;
}

export interface LoginResponse extends Me {
  token: string;
}

export interface StateChange {
  ts: string;
  state: TradingState;
  reason: string | null;
  actor: string | null;
}

export interface StateBody {
  state: TradingState;
  reason: string | null;
  actor: string | null;
  since: string | null;
  history?: StateChange[];
}

export interface RunInfo {
  id: string | number;
  mode: string;
  feed: string;
  status: string;
  heartbeat: string | null;
  sim_now?: string | null;
}

export interface EquityPoint {
  ts: string;
  equity: Decimal;
  drawdown: Decimal;
}

export interface FeedHealth {
  status: string;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  last_tick: string | null;
}

export interface BrokerHealth {
  status: string;
  detail: string | null;
}

export interface Overview {
  account_value: Decimal;
  cash: Decimal;
  today_pnl: Decimal;
  total_pnl: Decimal;
  realized_pnl: Decimal;
  unrealized_pnl: Decimal;
  equity: EquityPoint[];
  state: StateBody;
  pdt: { day_trades_5d: number; limit: number; flagged: boolean; remaining: number | null };
  buying_power: Decimal;
  run: RunInfo | null;
  health: { feed: FeedHealth; broker: BrokerHealth };
  open_trades: number;
  working_orders: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string | null;
}

export interface Freshness {
  symbol: string;
  last_tick: string | null;
  age_seconds: number | null;
  fresh: boolean;
}

export interface SystemInfo {
  version: string;
  checks: Check[];
  freshness: Freshness[];
  run: RunInfo | null;
}

export interface LogLine {
  ts: string | null;
  level: string;
  event: string;
  text: string;
}

export interface Trade {
  id: string | number;
  strategy: string;
  symbol: string;
  side: string;
  quantity: Decimal;
  entry_ts: string | null;
  entry_price: Decimal | null;
  exit_ts: string | null;
  exit_price: Decimal | null;
  stop: Decimal | null;
  target: Decimal | null;
  pnl: Decimal | null;
  pnl_pct: Decimal | null;
  status: string;
  exit_reason: string | null;
  signal_id: string | number | null;
}

export interface Order {
  id: string | number;
  signal_id: string | number | null;
  trade_id: string | number | null;
  symbol: string;
  side: string;
  type: string;
  tif: string | null;
  quantity: Decimal;
  filled: Decimal;
  limit_price: Decimal | null;
  stop_price: Decimal | null;
  avg_price: Decimal | null;
  status: string;
  reason: string | null;
  created: string | null;
  updated: string | null;
}

export interface Fill {
  order_id?: string | number;
  symbol?: string;
  side?: string;
  quantity: Decimal;
  price: Decimal;
  ts: string;
  [key: string]: unknown;
}

export interface Signal {
  id: string | number;
  ts: string;
  strategy: string;
  symbol: string;
  side: string;
  status: string;
  reason: string | null;
  order_ids: (string | number)[];
  trade_id: string | number | null;
}

export interface TradeDetail extends Trade {
  orders: Order[];
  signal: Signal | null;
  fills: Fill[];
}

export interface OrderDetail extends Order {
  events: { ts: string; status: string; detail: string | null }[];
  fills: Fill[];
}

export interface Column {
  key: string;
  label: string;
}

export interface Deals {
  columns: Column[];
  items: Record<string, unknown>[];
  total: number;
  summary: Record<string, unknown>;
}

export interface SymbolInfo {
  symbol: string;
  timeframes: string[];
  first: string | null;
  last: string | null;
}

export interface Bar {
  t: number;
  open: Decimal | number;
  high: Decimal | number;
  low: Decimal | number;
  close: Decimal | number;
  volume: Decimal | number;
}

export interface ChartMarker {
  t: number;
  kind: "entry" | "exit" | "stop" | "target";
  side: string;
  price: Decimal | number;
  trade_id: string | number | null;
  text: string | null;
}

export interface ChartData {
  symbol: string;
  timeframe: string;
  bars: Bar[];
  overlays: {
    swing_highs: { t: number; price: Decimal | number }[];
    swing_lows: { t: number; price: Decimal | number }[];
    donchian: { t: number; upper: Decimal | number; lower: Decimal | number }[];
  };
  markers: ChartMarker[];
}

export interface CorrelationMatrix {
  symbols: string[];
  method: string;
  window: number;
  timeframe: string;
  values: (number | null)[][];
  points: number[][];
  as_of: string | null;
}

export interface RollingCorrelation {
  a: string;
  b: string;
  points: { t: number | string; value: number | null }[];
}

export interface StrategyItem {
  index: number;
  name: string;
  type: string;
  values: Record<string, unknown>;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  format?: string;
  const?: unknown;
}

export interface Strategies {
  items: StrategyItem[];
  schema: JsonSchema;
  applies: string;
  config_path: string | null;
}

export interface LimitValue {
  value: unknown;
  limit: unknown;
}

export interface Settings {
  values: Record<string, unknown>;
  current?: Record<string, LimitValue>;
  schema?: JsonSchema;
  applies?: string;
}

export interface Backtest {
  id: string | number;
  name: string | null;
  status: string;
  progress: number | null;
  created_at: string;
  created_by: string | null;
  params: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  finished_at?: string | null;
}

export interface BacktestCompare {
  a: Backtest | string | number;
  b: Backtest | string | number;
  metrics: { key: string; label: string; a: unknown; b: unknown }[];
}

export interface User {
  username: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_login: string | null;
}

export interface AuditEntry {
  id: string | number;
  ts: string;
  actor: string;
  action: string;
  origin: string | null;
  before: unknown;
  after: unknown;
  detail: string | null;
}
