import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { Backtest, BacktestCompare, Deals, EquityPoint, Page } from "../api/types";
import { Card, ErrorText, PageTitle, StatusPill, Time } from "../components/common";
import { COLORS } from "../components/charting";
import { DataTable, Pager, type ColumnDef } from "../components/DataTable";
import { TimeSeriesChart } from "../components/TimeSeriesChart";
import { useCan, useLive, useSession } from "../context";
import { useInterval, useLoad, useThrottledEffect } from "../lib/hooks";
import { humanize } from "../lib/schemaForm";
import { fractionToPercent, toSeries } from "../lib/series";
import { formatMetric } from "../lib/metrics";
import { DealsTable } from "./Trades";

const LIMIT = 20;
const RUNNING = /^(queued|running)$/i;

/** Progress as a percentage 0..100 (the API may send 0..1 or 0..100). */
export function progressPercent(progress: number | null | undefined): number {
  if (progress === null || progress === undefined || !Number.isFinite(progress)) return 0;
  const pct = progress <= 1 ? progress * 100 : progress;
  return Math.max(0, Math.min(100, pct));
}

function ProgressBar({ value, status }: { value: number | null; status: string }) {
  const pct = progressPercent(value);
  return (
    <div className="progress" data-testid="backtest-progress" role="progressbar" aria-valuenow={Math.round(pct)}
      aria-valuemin={0} aria-valuemax={100} data-status={status}>
      <div className={`progress-fill ${status}`} style={{ width: `${pct}%` }} />
      <span>{status} {Math.round(pct)}%</span>
    </div>
  );
}

function Metrics({ metrics }: { metrics: Record<string, unknown> | null }) {
  if (!metrics) return <div className="muted" data-testid="backtest-metrics">No metrics yet</div>;
  return (
    <div className="metrics" data-testid="backtest-metrics">
      {Object.entries(metrics).map(([k, v]) => (
        <div key={k} className="metric">
          <div className="stat-label">{humanize(k)}</div>
          <div className="num">{formatMetric(k, v)}</div>
        </div>
      ))}
    </div>
  );
}

function BacktestDetail({ id, liveProgress, onSettled }: {
  id: string;
  liveProgress: { status: string; progress: number | null } | undefined;
  /** Called once the run has ended (completed, failed or cancelled). */
  onSettled: () => void;
}) {
  const { theme } = useSession();
  const run = useLoad(() => api.get<Backtest>(`/backtests/${id}`), id);
  const running = RUNNING.test(liveProgress?.status ?? run.data?.status ?? "");
  useInterval(run.reload, running ? 2000 : null);
  const settled = Boolean(run.data?.status) && !RUNNING.test(run.data?.status ?? "");
  const finished = run.data?.status === "completed";
  useEffect(() => {
    if (settled) onSettled();
  }, [settled, onSettled]);
  const equity = useLoad(
    () => (finished ? api.get<{ points: { t: string | number; equity: string; drawdown: string }[] }>(`/backtests/${id}/equity`)
      : Promise.resolve(null)),
    `${id}-${finished}`,
  );
  const deals = useLoad(
    () => (finished ? api.get<Deals>(`/backtests/${id}/deals`, { limit: 200 }) : Promise.resolve(null)),
    `${id}-${finished}`,
  );
  const reloadRun = run.reload;
  useEffect(() => {
    if (liveProgress && !RUNNING.test(liveProgress.status)) reloadRun();
  }, [liveProgress, reloadRun]);
  const series = useMemo(() => [
    { name: "Equity", color: COLORS.equity, kind: "area" as const,
      points: toSeries(equity.data?.points ?? [], (p) => p.t, (p) => p.equity) },
    { name: "Drawdown %", color: COLORS.drawdown, pane: 1,
      points: fractionToPercent(toSeries(equity.data?.points ?? [], (p) => p.t, (p: Pick<EquityPoint, "drawdown">) => p.drawdown)) },
  ], [equity.data]);
  const b = run.data;
  const status = liveProgress?.status ?? b?.status ?? "";
  return (
    <Card title={`Backtest ${b?.name ? `${b.name} (#${id})` : `#${id}`}`}>
      <ErrorText error={run.error ?? b?.error} />
      <ProgressBar value={liveProgress?.progress ?? b?.progress ?? null} status={status} />
      {b && (
        <div className="muted small">
          Started <Time value={b.created_at} /> by {b.created_by ?? "—"}
          {b.params && <> · {Object.entries(b.params).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(", ")}</>}
        </div>
      )}
      <h3>Metrics</h3>
      <Metrics metrics={b?.metrics ?? null} />
      {finished && (
        <>
          <h3>Equity and drawdown</h3>
          <TimeSeriesChart testId="backtest-equity" theme={theme} height={260} series={series} />
          <h3>Deals</h3>
          <ErrorText error={deals.error} />
          <DealsTable deals={deals.data} testId="backtest-deals" />
        </>
      )}
    </Card>
  );
}

function Compare({ a, b }: { a: string; b: string }) {
  const cmp = useLoad(() => api.get<BacktestCompare>("/backtests/compare", { a, b }), `${a}-${b}`);
  return (
    <Card title={`Compare #${a} and #${b}`}>
      <ErrorText error={cmp.error} />
      <table className="table" data-testid="backtest-compare">
        <thead><tr><th>Metric</th><th className="num">#{a}</th><th className="num">#{b}</th></tr></thead>
        <tbody>
          {(cmp.data?.metrics ?? []).map((m) => (
            <tr key={m.key}>
              <td>{m.label}</td>
              <td className="num">{formatMetric(m.key, m.a)}</td>
              <td className="num">{formatMetric(m.key, m.b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

export function BacktestsPage() {
  const canRun = useCan("trader");
  const { live } = useLive();
  const [name, setName] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [symbols, setSymbols] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [compare, setCompare] = useState<string[]>([]);
  const [offset, setOffset] = useState(0);
  const list = useLoad(() => api.get<Page<Backtest>>("/backtests", { limit: LIMIT, offset }), String(offset));
  useThrottledEffect(list.reload, live.touched.backtest, 1000);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { from, to };
      if (name.trim()) body.name = name.trim();
      const syms = symbols.toUpperCase().split(/[\s,]+/).filter(Boolean);
      if (syms.length) body.symbols = syms;
      const res = await api.post<{ id: string | number }>("/backtests", body);
      setSelected(String(res.id));
      list.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const toggleCompare = (id: string) =>
    setCompare((cur) => (cur.includes(id) ? cur.filter((c) => c !== id) : [...cur.slice(-1), id]));

  const columns: ColumnDef<Backtest>[] = [
    { key: "cmp", label: "Compare", render: (r) => (
      <input type="checkbox" data-testid={`compare-${r.id}`} checked={compare.includes(String(r.id))}
        onClick={(e) => e.stopPropagation()} onChange={() => toggleCompare(String(r.id))} />
    ) },
    { key: "id", label: "ID" },
    { key: "name", label: "Name" },
    { key: "created_at", label: "Started", render: (r) => <Time value={r.created_at} /> },
    { key: "created_by", label: "By" },
    { key: "status", label: "Status", render: (r) => {
      const lp = live.backtests[String(r.id)];
      const status = lp?.status ?? r.status;
      return RUNNING.test(status)
        ? <span>{status} {Math.round(progressPercent(lp?.progress ?? r.progress))}%</span>
        : <StatusPill value={status} />;
    } },
    { key: "trades", label: "Trades", numeric: true, render: (r) => formatMetric("trades", r.metrics?.trades ?? r.metrics?.closed_trades) },
    { key: "pnl", label: "Net P&L", numeric: true, render: (r) => formatMetric("net_pnl", r.metrics?.net_pnl_closed ?? r.metrics?.net_pnl) },
  ];

  return (
    <div className="page">
      <PageTitle>Backtests</PageTitle>
      <Card title="Run a backtest">
        <form className="inline-form" onSubmit={(e) => void run(e)}>
          <label className="field"><span>Name</span>
            <input value={name} data-testid="backtest-name" placeholder="optional" onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field"><span>From</span>
            <input type="date" value={from} data-testid="backtest-from" onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field"><span>To</span>
            <input type="date" value={to} data-testid="backtest-to" onChange={(e) => setTo(e.target.value)} />
          </label>
          <label className="field grow"><span>Symbols</span>
            <input value={symbols} data-testid="backtest-symbols" placeholder="the strategy's symbols"
              onChange={(e) => setSymbols(e.target.value)} />
          </label>
          <button type="submit" className="primary" data-testid="backtest-run" disabled={!canRun || busy || !from || !to}
            title={canRun ? undefined : "Needs the trader role"}>
            {busy ? "Starting…" : "Run"}
          </button>
        </form>
        <ErrorText error={error} />
      </Card>
      {selected && <BacktestDetail key={selected} id={selected} liveProgress={live.backtests[selected]} onSettled={list.reload} />}
      {compare.length === 2 && <Compare a={compare[0]} b={compare[1]} />}
      <ErrorText error={list.error} />
      <Card title="Past runs" actions={<span className="muted small">Tick two runs to compare them</span>}>
        <DataTable testId="backtests-table" columns={columns} rows={list.data?.items ?? []} rowId={(r) => r.id}
          selected={selected === null ? null : (list.data?.items.find((r) => String(r.id) === selected)?.id ?? null)}
          onRowClick={(r) => setSelected(String(r.id))} empty="No backtests yet" />
        <Pager total={list.data?.total ?? 0} limit={LIMIT} offset={offset} onChange={setOffset} />
      </Card>
    </div>
  );
}
