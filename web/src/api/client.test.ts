import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, buildUrl, errorFromBody } from "./client";
import type { Schemas } from "./typed";

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(status: number, body: unknown, calls: Call[]): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
    return new Response(status === 204 ? null : text, { status, statusText: status === 401 ? "Unauthorized" : "" });
  }) as unknown as typeof fetch;
}

describe("ApiClient", () => {
  it("sends the session cookie and no CSRF header on reads", async () => {
    const calls: Call[] = [];
    const client = new ApiClient({ fetchImpl: fakeFetch(200, { items: [], total: 0 }, calls) });
    client.setCsrfToken("tok");
    const body = await client.get<{ total: number }>("/trades", { status: "open", symbol: "", limit: 50 });
    expect(body.total).toBe(0);
    expect(calls[0].url).toBe("/api/v1/trades?status=open&limit=50");
    expect(calls[0].init.credentials).toBe("same-origin");
    expect((calls[0].init.headers as Record<string, string>)["X-CSRF-Token"]).toBeUndefined();
  });

  it("sends the CSRF token on every unsafe method", async () => {
    const calls: Call[] = [];
    const client = new ApiClient({ fetchImpl: fakeFetch(200, {}, calls) });
    client.setCsrfToken("tok-123");
    await client.post("/state/halt", { reason: "r" });
    await client.put("/settings/risk", { values: {} });
    await client.patch("/users/bob", { disabled: true });
    await client.delete("/users/bob");
    expect(calls.map((c) => c.init.method)).toEqual(["POST", "PUT", "PATCH", "DELETE"]);
    for (const c of calls) {
      expect((c.init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("tok-123");
      expect(c.init.credentials).toBe("same-origin");
    }
    expect(calls[0].init.body).toBe('{"reason":"r"}');
  });

  it("sends the user to login on a 401 and forgets the token", async () => {
    let redirected = 0;
    const client = new ApiClient({ fetchImpl: fakeFetch(401, { detail: "Not logged in" }, []),
      onUnauthorized: () => { redirected += 1; } });
    client.setCsrfToken("tok");
    await expect(client.get("/overview")).rejects.toMatchObject({ status: 401, message: "Not logged in" });
    expect(redirected).toBe(1);
    expect(client.csrfToken).toBeNull();
  });

  it("does not redirect when the login itself is refused", async () => {
    let redirected = 0;
    const client = new ApiClient({ fetchImpl: fakeFetch(401, { detail: "Wrong username or password" }, []),
      onUnauthorized: () => { redirected += 1; } });
    await expect(client.post("/auth/login", { username: "a", password: "b" })).rejects.toBeInstanceOf(ApiError);
    expect(redirected).toBe(0);
  });

  it("carries the field of a 422", async () => {
    const client = new ApiClient({ fetchImpl: fakeFetch(422, { detail: "must be between 0 and 1", field: "threshold" }, []) });
    const err = await client.put("/strategies/0", { values: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe("threshold");
    expect((err as ApiError).status).toBe(422);
  });

  it("accepts an empty 204 body", async () => {
    const client = new ApiClient({ fetchImpl: fakeFetch(204, undefined, []) });
    await expect(client.post("/auth/logout")).resolves.toBeNull();
  });
});

describe("typed reads", () => {
  it("types a GET of a literal path by the OpenAPI schema (tsc checks the assignment)", async () => {
    const calls: Call[] = [];
    const client = new ApiClient({ fetchImpl: fakeFetch(200, { items: [], total: 0, running: [] }, calls) });
    const list: Schemas["BacktestList"] = await client.get("/backtests", { limit: 10 });
    expect(list.total).toBe(0);
    expect(calls[0].url).toBe("/api/v1/backtests?limit=10");
  });
});

describe("errors and URLs", () => {
  it("reads FastAPI's validation list", () => {
    const err = errorFromBody(422, { detail: [{ loc: ["body", "values", "window"], msg: "Input should be > 1" }] });
    expect(err.message).toBe("Input should be > 1");
    expect(err.field).toBe("values.window");
  });

  it("falls back to the status text", () => {
    expect(errorFromBody(500, "oops", "Internal Server Error").message).toBe("Internal Server Error");
    expect(errorFromBody(502, null).message).toBe("Request failed (502)");
  });

  it("leaves out empty query values", () => {
    expect(buildUrl("/deals.csv", { symbol: "SPY", side: "", from: undefined, x: null })).toBe("/api/v1/deals.csv?symbol=SPY");
  });
});
