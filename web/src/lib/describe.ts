/** Audit values in one line: `threshold: 0.7, since: 2026-12-04 15:46:41 ET`, or compact JSON when nested. */

import { formatExchangeTime } from "./format";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function scalar(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "string" && ISO_TIME.test(v)) return formatExchangeTime(v);
  return String(v);
}

export function describeChange(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value !== "object") return scalar(value);
  if (Array.isArray(value)) return value.every((v) => v === null || typeof v !== "object") ? value.map(scalar).join(", ") : JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "—";
  if (entries.length <= 8 && entries.every(([, v]) => v === null || typeof v !== "object")) {
    return entries.map(([k, v]) => `${k}: ${scalar(v)}`).join(", ");
  }
  return JSON.stringify(value);
}
