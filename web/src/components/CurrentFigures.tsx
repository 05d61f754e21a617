import type { Gauge } from "../api/types";
import { formatDecimal, formatExchangeTime, formatMoney } from "../lib/format";
import { humanize } from "../lib/schemaForm";

export function isGauge(v: unknown): v is Gauge {
  return v !== null && typeof v === "object" && "value" in v && "limit" in v;
}

/** A gauge's figure in its unit: USD with cents, % with two decimals, counts as they are. */
export function gaugeText(value: unknown, unit?: string): string {
  if (value === null || value === undefined || value === "") return "off";
  if (unit === "USD") return formatMoney(value as string);
  if (unit === "%") return `${formatDecimal(value as string, 2)}%`;
  return String(value);
}

/** How close a value is to its limit (0..1), for the meter; null when either is not a number. */
export function usage(value: unknown, limit: unknown): number | null {
  const v = Math.abs(Number(value));
  const l = Math.abs(Number(limit));
  if (value === null || limit === null || value === "" || limit === "" || !Number.isFinite(v) || !Number.isFinite(l) || l === 0) {
    return null;
  }
  return Math.min(1, v / l);
}

function scalar(key: string, v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatExchangeTime(v);
  if (/pnl|equity|value|cash/.test(key) && !Number.isNaN(Number(v))) return formatMoney(v as string);
  if (Array.isArray(v)) return v.join(", ");
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function GaugeTable({ gauges }: { gauges: [string, Gauge][] }) {
  return (
    <table className="table limits" data-testid="risk-current">
      <thead><tr><th>Limit</th><th className="num">Now</th><th className="num">Limit</th><th>Use</th></tr></thead>
      <tbody>
        {gauges.map(([key, g]) => {
          const u = usage(g.value, g.limit);
          return (
            <tr key={key} data-testid={`row-${key}`} className={g.breached ? "breached" : undefined}>
              <td>{humanize(key)}</td>
              <td className="num">{gaugeText(g.value, g.unit)}</td>
              <td className="num">{gaugeText(g.limit, g.unit)}</td>
              <td>
                {u !== null && (
                  <div className="meter"><div className={g.breached || u >= 1 ? "full" : u >= 0.8 ? "high" : ""}
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

const MAX_RECORDS = 10;

function RecordsTable({ name, rows }: { name: string; rows: [string, Record<string, unknown>][] }) {
  const keys = [...new Set(rows.flatMap(([, r]) => Object.keys(r)))];
  const shown = rows.slice(-MAX_RECORDS);
  return (
    <div className="table-wrap">
    {rows.length > shown.length && <div className="muted small">The last {shown.length} of {rows.length}</div>}
    <table className="table small-table" data-testid={`current-${name}`}>
      <thead><tr><th /> {keys.map((k) => <th key={k}>{humanize(k)}</th>)}</tr></thead>
      <tbody>
        {shown.map(([id, r]) => (
          <tr key={id}><td>{id}</td>{keys.map((k) => <td key={k}>{scalar(k, r[k])}</td>)}</tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/** The live figures a settings page shows beside its form: gauges against limits, then the rest. */
export function CurrentFigures({ current }: { current: Record<string, unknown> }) {
  const entries = Object.entries(current);
  const gauges = entries.filter((e): e is [string, Gauge] => isGauge(e[1]));
  const scalars = entries.filter(([, v]) => v === null || typeof v !== "object"
    || (Array.isArray(v) && v.length > 0 && v.every((x) => x === null || typeof x !== "object")));
  const tables = entries.filter(([, v]) => v !== null && typeof v === "object" && !isGauge(v) && !scalars.some(([, s]) => s === v));
  return (
    <div className="current">
      {scalars.length > 0 && (
        <div className="kv current-kv">
          {scalars.map(([k, v]) => [<span key={`k-${k}`}>{humanize(k)}</span>, <span key={`v-${k}`}>{scalar(k, v)}</span>])}
        </div>
      )}
      {gauges.length > 0 && <GaugeTable gauges={gauges} />}
      {tables.map(([k, v]) => {
        const rows: [string, Record<string, unknown>][] = Array.isArray(v)
          ? v.map((r, i) => [String(i + 1), (r ?? {}) as Record<string, unknown>])
          : Object.entries(v as Record<string, unknown>).map(([id, r]) => [id, (r !== null && typeof r === "object" && !Array.isArray(r) ? r : { value: r }) as Record<string, unknown>]);
        return (
          <div key={k}>
            <h3>{humanize(k)}</h3>
            {rows.length === 0 ? <div className="muted small">none</div> : <RecordsTable name={k} rows={rows} />}
          </div>
        );
      })}
    </div>
  );
}
