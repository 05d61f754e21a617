import { useMemo } from "react";
import { api } from "../api/client";
import type { Settings } from "../api/types";
import { Card, ErrorText, PageTitle } from "../components/common";
import { CurrentFigures, gaugeText, isGauge } from "../components/CurrentFigures";
import { SchemaForm } from "../components/SchemaForm";
import { useLoad } from "../lib/hooks";
import { fieldsFromSchema, fieldsFromValues } from "../lib/schemaForm";

/** A gauge of `current` whose name fits a form field (`daily_loss` beside `daily_loss_limit`). */
function gaugeFor(current: Record<string, unknown>, field: string): string | null {
  const leaf = field.split(".").pop() ?? field;
  for (const [key, g] of Object.entries(current)) {
    if (isGauge(g) && (leaf === key || leaf.startsWith(`${key}_limit`) || leaf === `max_${key}`)) {
      return `now ${gaugeText(g.value, g.unit)}`;
    }
  }
  return null;
}

export function SettingsCard({ title, path, prefix }: { title: string; path: string; prefix: string }) {
  const settings = useLoad(() => api.get<Settings>(path), path);
  const data = settings.data;
  const fields = useMemo(
    () => (data ? (data.schema ? fieldsFromSchema(data.schema, data.values) : fieldsFromValues(data.values)) : []),
    [data],
  );
  const current = data?.current ?? {};
  const save = async (values: Record<string, unknown>) => {
    const res = await api.put<Settings>(path, { values });
    settings.reload();
    return res?.applies ?? data?.applies ?? null;
  };
  return (
    <Card title={title} actions={data?.config_path ? <span className="muted small">{data.config_path}</span> : null}>
      <ErrorText error={settings.error} />
      {data?.restart_pending && (
        <div className="banner" data-testid={`${prefix}-restart-pending`}>The file has saved changes that apply when Theo restarts.</div>
      )}
      {Object.keys(current).length > 0 && <CurrentFigures current={current} />}
      {data && (
        <SchemaForm prefix={prefix} fields={fields} values={data.values} applies={data.applies} note={data.applies_note}
          onSave={save}
          aside={(name) => {
            const text = gaugeFor(current, name);
            return text ? <span className="muted small aside">{text}</span> : null;
          }} />
      )}
    </Card>
  );
}

export function RiskPage() {
  return (
    <div className="page">
      <PageTitle>Risk and closure</PageTitle>
      <div className="stack">
        <SettingsCard title="Risk limits" path="/settings/risk" prefix="risk" />
        <SettingsCard title="Time-based closure" path="/settings/closure" prefix="closure" />
      </div>
    </div>
  );
}
