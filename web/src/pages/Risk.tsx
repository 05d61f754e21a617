import { useMemo } from "react";
import { api } from "../api/client";
import type { LimitValue, Settings } from "../api/types";
import { Card, ErrorText, PageTitle } from "../components/common";
import { SchemaForm } from "../components/SchemaForm";
import { formatDecimal } from "../lib/format";
import { useLoad } from "../lib/hooks";
import { fieldsFromSchema, fieldsFromValues, humanize } from "../lib/schemaForm";

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))) {
    return Number.isInteger(Number(value)) && !String(value).includes(".") ? String(value) : formatDecimal(value as string);
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** How close a value is to its limit (0..1), for the bar; null when either is not a number. */
export function usage(value: unknown, limit: unknown): number | null {
  const v = Math.abs(Number(value));
  const l = Math.abs(Number(limit));
  if (value === null || limit === null || !Number.isFinite(v) || !Number.isFinite(l) || l === 0) return null;
  return Math.min(1, v / l);
}

function CurrentTable({ current }: { current: Record<string, LimitValue> }) {
  return (
    <table className="table limits" data-testid="risk-current">
      <thead><tr><th>Limit</th><th className="num">Now</th><th className="num">Limit</th><th>Use</th></tr></thead>
      <tbody>
        {Object.entries(current).map(([key, { value, limit }]) => {
          const u = usage(value, limit);
          return (
            <tr key={key} data-testid={`row-${key}`}>
              <td>{humanize(key)}</td>
              <td className="num">{show(value)}</td>
              <td className="num">{show(limit)}</td>
              <td>
                {u !== null && (
                  <div className="meter"><div className={u >= 1 ? "full" : u >= 0.8 ? "high" : ""}
                    style={{ width: `${Math.round(u * 100)}%` }} /></div>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function SettingsCard({ title, path, prefix }: { title: string; path: string; prefix: string }) {
  const settings = useLoad(() => api.get<Settings>(path), path);
  const fields = useMemo(
    () => (settings.data ? (settings.data.schema ? fieldsFromSchema(settings.data.schema) : fieldsFromValues(settings.data.values)) : []),
    [settings.data],
  );
  const current = settings.data?.current ?? {};
  const save = async (values: Record<string, unknown>) => {
    const res = await api.put<{ applies?: string }>(path, { values });
    settings.reload();
    return res?.applies ?? settings.data?.applies ?? null;
  };
  return (
    <Card title={title}>
      <ErrorText error={settings.error} />
      {Object.keys(current).length > 0 && <CurrentTable current={current} />}
      {settings.data && (
        <SchemaForm prefix={prefix} fields={fields} values={settings.data.values} applies={settings.data.applies}
          onSave={save}
          aside={(name) => current[name] ? (
            <span className="muted small aside">now {show(current[name].value)} of {show(current[name].limit)}</span>
          ) : null} />
      )}
    </Card>
  );
}

export function RiskPage() {
  return (
    <div className="page">
      <PageTitle>Risk and closure</PageTitle>
      <div className="grid-2">
        <SettingsCard title="Risk limits" path="/settings/risk" prefix="risk" />
        <SettingsCard title="Time-based closure" path="/settings/closure" prefix="closure" />
      </div>
    </div>
  );
}
