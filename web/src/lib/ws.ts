/**
 * The live event stream (`/api/v1/events`): one WebSocket that reconnects with exponential back-off (reset once a
 * connection has stayed open), and is recycled when the server's 15 s heartbeat stops arriving.
 */

export interface ServerEvent {
  kind: string;
  ts?: string;
  data?: Record<string, unknown>;
}

export type StreamStatus = "connecting" | "open" | "closed";

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2 };
/** Two missed heartbeats and a bit: the connection is taken as dead. */
export const SILENCE_MS = 40_000;

/** The wait before reconnect attempt `attempt` (0-based): initial × factor^attempt, capped at max. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
}

export function eventsUrl(location: { protocol: string; host: string } = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/events`;
}

export function parseEvent(raw: unknown): ServerEvent | null {
  if (typeof raw !== "string") return null;
  try {
    const value = JSON.parse(raw) as unknown;
    if (value && typeof value === "object" && typeof (value as ServerEvent).kind === "string") {
      return value as ServerEvent;
    }
  } catch {
    return null;
  }
  return null;
}

export interface EventStreamOptions {
  url: string;
  onEvent: (event: ServerEvent) => void;
  onStatus?: (status: StreamStatus) => void;
  socketFactory?: (url: string) => SocketLike;
  timers?: Timers;
  backoff?: BackoffOptions;
  silenceMs?: number;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class EventStream {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private stopped = true;
  private retryTimer: unknown = null;
  private silenceTimer: unknown = null;
  private readonly factory: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly backoff: BackoffOptions;
  private readonly silenceMs: number;

  constructor(private readonly options: EventStreamOptions) {
    this.factory = options.socketFactory ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.timers = options.timers ?? realTimers;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.silenceMs = options.silenceMs ?? SILENCE_MS;
  }

  /** Reconnect attempts since the last connection that opened. */
  get attempts(): number {
    return this.attempt;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    this.options.onStatus?.("closed");
  }

  private connect(): void {
    this.options.onStatus?.("connecting");
    const socket = this.factory(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.options.onStatus?.("open");
      this.armSilence();
    };
    socket.onmessage = (message) => {
      this.armSilence();
      const event = parseEvent(message.data);
      if (event && event.kind !== "ping") this.options.onEvent(event);
    };
    socket.onerror = () => socket.close();
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (this.stopped) return;
      this.options.onStatus?.("closed");
      const delay = backoffDelay(this.attempt, this.backoff);
      this.attempt += 1;
      this.retryTimer = this.timers.set(() => {
        this.retryTimer = null;
        if (!this.stopped) this.connect();
      }, delay);
    };
  }

  private armSilence(): void {
    if (this.silenceTimer !== null) this.timers.clear(this.silenceTimer);
    this.silenceTimer = this.timers.set(() => {
      this.silenceTimer = null;
      this.socket?.close();
    }, this.silenceMs);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    if (this.silenceTimer !== null) this.timers.clear(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }
}
