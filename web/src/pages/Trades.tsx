import { useState } from "react";
import { api } from "../api/client";
import type { Deals, Page, Trade, TradeDetail } from "../api/types";
import { Card, ErrorText, Money, PageTitle, Pnl, StatusPill, Time } from "../components/common";
import { DataTable, Pager, type ColumnDef } from "../components/DataTable";
import { dayEnd, dayStart, FilterBar, SelectFilter, TextFilter } from "../components/Filters";
import { useLive } from "../context";
import { dealCell } from "../lib/deals";
import { shortNumber, shortOrderId } from "../lib/ids";
import { formatExchangeTime, formatMoney, formatPercent } from "../lib/format";
import { useLoad, useThrottledEffect } from "../lib/hooks";
import { href, navigate, type Route } from "../lib/route";

const LIMIT = 50;
type Tab = "open" | "closed" | "deals";

const TRADE_COLUMNS: ColumnDef<Trade>[] = [
  { key: "id", label: "ID", render: (t) => <a href={href("trades", { id: t.id })}>{t.id}</a> },
  { key: "symbol", label: "Symbol" },
  { key: "side", label: "Side" },
  { key: "strategy", label: "Strategy" },
  { key: "quantity", label: "Qty", numeric: true },
  { key: "entry_ts", label: "Entry time", render: (t) => <Time value={t.entry_ts} /> },
  { key: "entry_price", label: "Entry", numeric: true, render: (t) => <Money value={t.entry_price} /> },
  { key: "stop", label: "Stop", numeric: true, render: (t) => <Money value={t.stop} /> },
  { key: "target", label: "Target", numeric: true, render: (t) => <Money value={t.target} /> },
  { key: "exit_ts", label: "Exit time", render: (t) => <Time value={t.exit_ts} /> },
  { key: "exit_price", label: "Exit", numeric: true, render: (t) => <Money value={t.exit_price} /> },
  { key: "pnl", label: "P&L", numeric: true, render: (t) => <Pnl value={t.pnl} /> },
  { key: "pnl_pct", label: "P&L %", numeric: true, render: (t) => formatPercent(t.pnl_pct) },
  { key: "exit_reason", label: "Exit reason", render: (t) => <span title={t.comment ?? undefined}>{t.exit_reason ?? "—"}</span> },
  { key: "status", label: "Status", render: (t) => <StatusPill value={t.status} /> },
  { key: "signal_id", label: "Signal", render: (t) => t.signal_id === null ? "—" : (
    <a href={href("signals", { id: t.signal_id })} title={t.signal_id}>{shortNumber(t.signal_id)}</a>) },
];

export function DealsTable({ deals, testId = "deals-table" }: { deals: Deals | null; testId?: string }) {
  const columns: ColumnDef<Record<string, unknown>>[] = (deals?.columns ?? []).map((c) => ({
    key: c.key,
    label: c.label,
    render: (row) => dealCell(c.key, row[c.key]),
  }));
  const rowId = (row: Record<string, unknown>, i?: number) => String(row.id ?? row.trade_id ?? row.deal ?? i ?? "");
  const rows = deals?.items ?? [];
  return (
    <>
      <DataTable testId={testId} className="nowrap" columns={columns} rows={rows}
        rowId={(row) => rowId(row, rows.indexOf(row))} empty="No deals" />
      {deals && Object.keys(deals.summary ?? {}).length > 0 && (
        <div className="summary">
          {Object.entries(deals.summary).map(([k, v]) => (
            <span key={k}><span className="muted">{k.replace(/_/g, " ")}</span> {dealCell(k, v)}</span>
          ))}
        </div>
      )}
    </>
  );
}

function TradeDetailCard({ id }: { id: string }) {
  const detail = useLoad(() => api.get<TradeDetail>(`/trades/${encodeURIComponent(id)}`), id);
  const t = detail.data;
  return (
    <Card title={`Trade ${id}`} actions={<a href={href("trades")}>Close</a>}>
      <ErrorText error={detail.error} />
      {t && (
        <div className="detail-grid">
          <div className="kv">
            <span>Symbol</span><span>{t.symbol} · {t.side} · {t.quantity}</span>
            <span>Strategy</span><span>{t.strategy}</span>
            <span>Entry</span><span>{formatMoney(t.entry_price)} at {formatExchangeTime(t.entry_ts)}</span>
            <span>Exit</span><span>{formatMoney(t.exit_price)} at {formatExchangeTime(t.exit_ts)}</span>
            <span>Stop / target</span><span>{formatMoney(t.stop)} / {formatMoney(t.target)}</span>
            <span>P&amp;L</span><span><Pnl value={t.pnl} /> ({formatPercent(t.pnl_pct)})</span>
            <span>Status</span><span><StatusPill value={t.status} /> {t.exit_reason ?? ""}</span>
            <span>Signal</span>
            <span>{t.signal ? <a href={href("signals", { id: t.signal.id })}>{t.signal.id} ({t.signal.status})</a> : "—"}</span>
            <span>Chart</span><span><a href={href("charts", { symbol: t.symbol })}>{t.symbol} chart</a></span>
          </div>
          <div>
            <h3>Orders</h3>
            <ul className="plain">
              {t.orders.map((o) => (
                <li key={o.id}>
                  <a href={href("orders", { id: o.id })} title={String(o.id)}>{shortOrderId(o.id)}</a> {o.side} {o.type} {o.quantity} — {o.status}
                </li>
              ))}
              {t.orders.length === 0 && <li className="muted">none</li>}
            </ul>
            <h3>Fills</h3>
            <ul className="plain">
              {t.fills.map((f, i) => (
                <li key={i}>{formatExchangeTime(f.ts)} {f.side ?? ""} {f.quantity} @ {formatMoney(f.price)}</li>
              ))}
              {t.fills.length === 0 && <li className="muted">none</li>}
            </ul>
          </div>
        </div>
      )}
    </Card>
  );
}

export function TradesPage({ route }: { route: Route }) {
  const { live } = useLive();
  const tab = (route.params.get("tab") ?? route.params.get("status") ?? "open") as Tab;
  const selected = route.params.get("id") ?? route.rest[0] ?? null;
  const [symbol, setSymbol] = useState("");
  const [strategy, setStrategy] = useState("");
  const [side, setSide] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [offset, setOffset] = useState(0);
  const filters = { symbol, strategy, from: dayStart(from), to: dayEnd(to) };
  const key = JSON.stringify({ tab, ...filters, side, offset });

  const trades = useLoad(
    () => tab === "deals"
      ? Promise.resolve(null)
      : api.get<Page<Trade>>("/trades", { status: tab, ...filters, limit: LIMIT, offset }),
    key,
  );
  const deals = useLoad(
    () => tab === "deals"
      ? api.get<Deals>("/deals", { ...filters, side, limit: LIMIT, offset })
      : Promise.resolve(null),
    key,
  );
  useThrottledEffect(() => { trades.reload(); deals.reload(); }, `${live.touched.trade}-${live.touched.fill}`, 2000);

  const setTab = (t: Tab) => {
    setOffset(0);
    navigate("trades", { tab: t });
  };
  const csv = api.url("/deals.csv", { ...filters, side });
  const total = tab === "deals" ? deals.data?.total ?? 0 : trades.data?.total ?? 0;

  return (
    <div className="page">
      <PageTitle actions={
        <a className="button" href={csv} data-testid="btn-export-csv" download>Export CSV</a>
      }>Trades</PageTitle>
      <div className="tabs">
        {(["open", "closed", "deals"] as Tab[]).map((t) => (
          <button key={t} type="button" className={tab === t ? "active" : ""} data-testid={`tab-${t}`}
            onClick={() => setTab(t)}>
            {t === "open" ? "Running" : t === "closed" ? "Closed" : "Deals report"}
          </button>
        ))}
      </div>
      <FilterBar>
        <TextFilter label="Symbol" value={symbol} onChange={(v) => { setSymbol(v); setOffset(0); }}
          testId="filter-symbol" placeholder="any" />
        <TextFilter label="Strategy" value={strategy} onChange={(v) => { setStrategy(v.toLowerCase()); setOffset(0); }}
          testId="filter-strategy" placeholder="any" />
        {tab === "deals" && (
          <SelectFilter label="Side" value={side} onChange={setSide} testId="filter-side"
            options={[{ value: "", label: "any" }, { value: "long", label: "long" }, { value: "short", label: "short" }]} />
        )}
        <TextFilter type="date" label="From" value={from} onChange={setFrom} testId="filter-from" />
        <TextFilter type="date" label="To" value={to} onChange={setTo} testId="filter-to" />
      </FilterBar>
      {selected && <TradeDetailCard id={selected} />}
      <ErrorText error={tab === "deals" ? deals.error : trades.error} />
      <Card>
        {tab === "deals" ? (
          <DealsTable deals={deals.data} />
        ) : (
          <DataTable testId="trades-table" className="nowrap" columns={TRADE_COLUMNS} rows={trades.data?.items ?? []}
            rowId={(t) => t.id} selected={selected} empty={tab === "open" ? "No running trades" : "No closed trades"}
            onRowClick={(t) => navigate("trades", { tab, id: t.id })} />
        )}
        <Pager total={total} limit={LIMIT} offset={offset} onChange={setOffset} />
      </Card>
    </div>
  );
}
