import { useMemo, useState } from "react";
import { api } from "../api/client";
import type { Saved, Strategies } from "../api/types";
import { Card, ErrorText, PageTitle } from "../components/common";
import { SchemaForm } from "../components/SchemaForm";
import { useLoad } from "../lib/hooks";
import { fieldsFromSchema, fieldsFromValues } from "../lib/schemaForm";
import { SettingsCard } from "./Risk";

export function StrategyPage() {
  const strategies = useLoad(() => api.get<Strategies>("/strategies"), "strategies");
  const [index, setIndex] = useState(0);
  const data = strategies.data;
  const item = data?.items.find((s) => s.index === index) ?? data?.items[0] ?? null;
  const fields = useMemo(() => {
    if (!data || !item) return [];
    const schema = data.schemas?.[item.type] ?? data.schema;
    const fromSchema = schema ? fieldsFromSchema(schema, item.values) : [];
    return fromSchema.length ? fromSchema : fieldsFromValues(item.values);
  }, [data, item]);

  const save = async (values: Record<string, unknown>) => {
    if (!item) return null;
    const res = await api.put<Saved>(`/strategies/${item.index}`, { values });
    strategies.reload();
    return res?.applies ?? data?.applies ?? null;
  };

  return (
    <div className="page">
      <PageTitle>Strategy configuration</PageTitle>
      <ErrorText error={strategies.error} />
      {data?.restart_pending && (
        <div className="banner" data-testid="strategy-restart-pending">
          The configuration file has saved changes that apply when Theo restarts.
        </div>
      )}
      {data && data.items.length > 1 && (
        <div className="tabs">
          {data.items.map((s) => (
            <button key={s.index} type="button" className={s.index === item?.index ? "active" : ""}
              data-testid={`strategy-tab-${s.index}`} onClick={() => setIndex(s.index)}>
              {s.name}
            </button>
          ))}
        </div>
      )}
      {item && (
        <Card title={`${item.name} (${item.type})`}
          actions={data?.config_path ? <span className="muted small">Saved to {data.config_path}</span> : null}>
          <SchemaForm prefix="strategy" fields={fields} values={item.values} applies={data?.applies}
            note={data?.applies_note} onSave={save} />
        </Card>
      )}
      {data && data.items.length === 0 && <div className="muted">No strategy is configured.</div>}
      <SettingsCard title="Scanner" path="/settings/scanner" prefix="scanner" />
    </div>
  );
}
