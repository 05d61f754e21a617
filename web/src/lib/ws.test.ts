import { describe, expect, it } from "vitest";
import { backoffDelay, EventStream, eventsUrl, parseEvent, type ServerEvent, type SocketLike, type StreamStatus,
  type Timers } from "./ws";

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.({});
  }
  open() {
    this.onopen?.({});
  }
  send(data: unknown) {
    this.onmessage?.({ data: typeof data === "string" ? data : JSON.stringify(data) });
  }
}

/** Timers driven by hand: `advance(ms)` runs what falls due. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  pending = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number) {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(handle: unknown) {
    this.pending.delete(handle as number);
  }
  advance(ms: number) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

function setup(silenceMs = 40_000) {
  const sockets: FakeSocket[] = [];
  const events: ServerEvent[] = [];
  const statuses: StreamStatus[] = [];
  const timers = new FakeTimers();
  const stream = new EventStream({
    url: "ws://x/api/v1/events",
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    socketFactory: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    timers,
    backoff: { initialMs: 100, maxMs: 1000, factor: 2 },
    silenceMs,
  });
  return { sockets, events, statuses, timers, stream };
}

describe("backoffDelay", () => {
  it("doubles from the initial wait up to the cap", () => {
    const opts = { initialMs: 500, maxMs: 30_000, factor: 2 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, opts))).toEqual([500, 1000, 2000, 4000, 30_000]);
  });
});

describe("EventStream", () => {
  it("delivers events and drops heartbeats and garbage", () => {
    const { sockets, events, stream } = setup();
    stream.start();
    sockets[0].open();
    sockets[0].send({ kind: "ping" });
    sockets[0].send("not json");
    sockets[0].send({ kind: "state", ts: "t", data: { state: "HALTED" } });
    expect(events).toEqual([{ kind: "state", ts: "t", data: { state: "HALTED" } }]);
  });

  it("reconnects with growing back-off while the server stays away", () => {
    const { sockets, timers, stream } = setup();
    stream.start();
    sockets[0].close();
    timers.advance(99);
    expect(sockets).toHaveLength(1);
    timers.advance(1);
    expect(sockets).toHaveLength(2);
    sockets[1].close();
    timers.advance(199);
    expect(sockets).toHaveLength(2);
    timers.advance(1);
    expect(sockets).toHaveLength(3);
    sockets[2].close();
    timers.advance(400);
    expect(sockets).toHaveLength(4);
    expect(stream.attempts).toBe(3);
  });

  it("resets the back-off once a connection opens", () => {
    const { sockets, timers, stream, statuses } = setup();
    stream.start();
    sockets[0].close();
    timers.advance(100);
    sockets[1].close();
    timers.advance(200);
    sockets[2].open();
    expect(stream.attempts).toBe(0);
    sockets[2].close();
    timers.advance(100);
    expect(sockets).toHaveLength(4);
    expect(statuses).toEqual(["connecting", "closed", "connecting", "closed", "connecting", "open", "closed",
      "connecting"]);
  });

  it("recycles a connection whose heartbeat stopped", () => {
    const { sockets, timers, stream } = setup(1000);
    stream.start();
    sockets[0].open();
    timers.advance(900);
    sockets[0].send({ kind: "ping" });
    timers.advance(900);
    expect(sockets[0].closed).toBe(false);
    timers.advance(100);
    expect(sockets[0].closed).toBe(true);
    timers.advance(100);
    expect(sockets).toHaveLength(2);
  });

  it("stops for good: no reconnect after stop()", () => {
    const { sockets, timers, stream, statuses } = setup();
    stream.start();
    sockets[0].open();
    stream.stop();
    expect(sockets[0].closed).toBe(true);
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);
    expect(timers.pending.size).toBe(0);
    expect(statuses.at(-1)).toBe("closed");
  });

  it("closes on a socket error so the reconnect runs", () => {
    const { sockets, timers, stream } = setup();
    stream.start();
    sockets[0].onerror?.({});
    timers.advance(100);
    expect(sockets).toHaveLength(2);
  });
});

describe("helpers", () => {
  it("builds the events URL from the page's scheme", () => {
    expect(eventsUrl({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/api/v1/events");
    expect(eventsUrl({ protocol: "https:", host: "theo.lan" })).toBe("wss://theo.lan/api/v1/events");
  });

  it("parses only objects with a kind", () => {
    expect(parseEvent('{"kind":"tick","data":{}}')).toEqual({ kind: "tick", data: {} });
    expect(parseEvent('{"data":{}}')).toBeNull();
    expect(parseEvent(42)).toBeNull();
  });
});
