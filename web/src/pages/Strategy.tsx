import { useMemo, useState } from "react";
import { api } from "../api/client";
import type { Settings, StrategyItem, Strategies } from "../api/types";
import { Card, ErrorText, PageTitle } from "../components/common";
import { SchemaForm } from "../components/SchemaForm";
import { useLoad } from "../lib/hooks";
import { fieldsFromSchema, fieldsFromValues } from "../lib/schemaForm";

export function StrategyPage() {
  const strategies = useLoad(() => api.get<Strategies>("/strategies"), "strategies");
  const scanner = useLoad(() => api.get<Settings>("/settings/scanner"), "scanner");
  const [index, setIndex] = useState(0);
  const data = strategies.data;
  const item = data?.items.find((s) => s.index === index) ?? data?.items[0] ?? null;
  const fields = useMemo(() => {
    if (!data) return [];
    const fromSchema = fieldsFromSchema(data.schema);
    return fromSchema.length ? fromSchema : fieldsFromValues(item?.values ?? {});
  }, [data, item]);
  const scannerFields = useMemo(
    () => (scanner.data ? (scanner.data.schema ? fieldsFromSchema(scanner.data.schema) : fieldsFromValues(scanner.data.values)) : []),
    [scanner.data],
  );

  const save = async (values: Record<string, unknown>) => {
    if (!item) return null;
    await api.put<StrategyItem>(`/strategies/${item.index}`, { values });
    strategies.reload();
    return data?.applies ?? null;
  };
  const saveScanner = async (values: Record<string, unknown>) => {
    const res = await api.put<{ applies?: string }>("/settings/scanner", { values });
    scanner.reload();
    return res?.applies ?? scanner.data?.applies ?? null;
  };

  return (
    <div className="page">
      <PageTitle>Strategy configuration</PageTitle>
      <ErrorText error={strategies.error} />
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
          <SchemaForm prefix="strategy" fields={fields} values={item.values} applies={data?.applies} onSave={save} />
        </Card>
      )}
      {data && data.items.length === 0 && <div className="muted">No strategy is configured.</div>}
      <ErrorText error={scanner.error} />
      {scanner.data && (
        <Card title="Scanner">
          <SchemaForm prefix="scanner" fields={scannerFields} values={scanner.data.values}
            applies={scanner.data.applies} onSave={saveScanner} />
        </Card>
      )}
    </div>
  );
}
