/** Hash routing (`#/trades?status=open`): works from any URL the API process serves the dashboard at. */

import { useEffect, useState } from "react";

export interface Route {
  page: string;
  rest: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, "");
  const [path, qs = ""] = text.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? "overview", rest: parts.slice(1), params: new URLSearchParams(qs) };
}

export function href(page: string, params?: Record<string, string | number | null | undefined>): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== "") qs.set(key, String(value));
  }
  const text = qs.toString();
  return `#/${page}${text ? `?${text}` : ""}`;
}

export function navigate(page: string, params?: Record<string, string | number | null | undefined>): void {
  window.location.hash = href(page, params);
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return parseHash(hash);
}
