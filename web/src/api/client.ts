/**
 * The API client: same-origin cookies, the CSRF header on every unsafe method, errors as `ApiError`
 * ({detail, field} from the API), and a 401 on any call but login sends the browser to the login page.
 */

import type { GetPath, GetQuery, GetResult } from "./typed";

export const API_BASE = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type Query = Record<string, string | number | boolean | null | undefined>;

export class ApiError extends Error {
  readonly status: number;
  readonly field: string | null;
  readonly body: unknown;

  constructor(status: number, message: string, field: string | null = null, body: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
    this.body = body;
  }
}

/** The message of an error body: `{detail: "..."}`, FastAPI's `{detail: [{loc, msg}]}`, or the status text. */
export function errorFromBody(status: number, body: unknown, statusText = ""): ApiError {
  if (body && typeof body === "object" && "detail" in body) {
    const { detail, field } = body as { detail: unknown; field?: unknown };
    if (typeof detail === "string") {
      return new ApiError(status, detail, typeof field === "string" ? field : null, body);
    }
    if (Array.isArray(detail) && detail.length > 0) {
      const first = detail[0] as { loc?: unknown[]; msg?: string };
      const loc = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").map(String) : [];
      return new ApiError(status, first.msg ?? "Invalid request", loc.length ? loc.join(".") : null, body);
    }
  }
  return new ApiError(status, statusText || `Request failed (${status})`, null, body);
}

export function buildUrl(path: string, query?: Query, base = API_BASE): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ""}`;
}

export interface ClientOptions {
  fetchImpl?: typeof fetch;
  onUnauthorized?: () => void;
  base?: string;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
}

export class ApiClient {
  private csrf: string | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly onUnauthorized: () => void;
  private readonly base: string;

  constructor(options: ClientOptions = {}) {
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.onUnauthorized = options.onUnauthorized ?? (() => undefined);
    this.base = options.base ?? API_BASE;
  }

  setCsrfToken(token: string | null): void {
    this.csrf = token;
  }

  get csrfToken(): string | null {
    return this.csrf;
  }

  url(path: string, query?: Query): string {
    return buildUrl(path, query, this.base);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const verb = method.toUpperCase();
    const headers: Record<string, string> = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (UNSAFE.has(verb) && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    const response = await this.fetchImpl(this.url(path, options.query), {
      method: verb,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) {
      if (response.status === 401 && path !== "/auth/login") {
        this.csrf = null;
        this.onUnauthorized();
      }
      throw errorFromBody(response.status, body, response.statusText);
    }
    return body as T;
  }

  /** A GET typed by the OpenAPI schema for a literal path; `get<T>(path)` for a path built at run time. */
  get<P extends GetPath>(path: P, query?: GetQuery<P> & Query): Promise<GetResult<P>>;
  get<T>(path: string, query?: Query): Promise<T>;
  get(path: string, query?: Query): Promise<unknown> {
    return this.request("GET", path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, { body: body ?? {} });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }
}

/** The login route of the hash router; a 401 anywhere lands here. */
export function redirectToLogin(): void {
  if (typeof window !== "undefined" && !window.location.hash.startsWith("#/login")) {
    const back = window.location.hash.replace(/^#/, "");
    window.location.hash = `#/login${back && back !== "/" ? `?next=${encodeURIComponent(back)}` : ""}`;
  }
}

export const api = new ApiClient({ onUnauthorized: redirectToLogin });
