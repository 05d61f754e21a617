import { exchangeDayBounds } from "../lib/format";
import type { ReactNode } from "react";

/** A row of filter inputs above a table. */
export function FilterBar({ children }: { children: ReactNode }) {
  return <div className="filters">{children}</div>;
}

export function TextFilter({ label, value, onChange, testId, placeholder, type = "text" }: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  testId?: string;
  placeholder?: string;
  type?: "text" | "date";
}) {
  return (
    <label className="filter">
      <span>{label}</span>
      <input type={type} value={value} data-testid={testId} placeholder={placeholder}
        onChange={(e) => onChange(type === "text" ? e.target.value.toUpperCase() : e.target.value)} />
    </label>
  );
}

export function SelectFilter({ label, value, options, onChange, testId }: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (v: string) => void;
  testId?: string;
}) {
  return (
    <label className="filter">
      <span>{label}</span>
      <select value={value} data-testid={testId} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
    </label>
  );
}

/** A day typed in a date input as the UTC start of that exchange day (ISO), for `from=`. */
export function dayStart(day: string): string | undefined {
  return exchangeDayBounds(day)?.from;
}

/** The last second of that exchange day (ISO), for `to=`. */
export function dayEnd(day: string): string | undefined {
  return exchangeDayBounds(day)?.to;
}
