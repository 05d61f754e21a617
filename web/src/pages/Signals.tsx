import { useState } from "react";
import { api } from "../api/client";
import type { Page, Signal } from "../api/types";
import { Card, ErrorText, Money, PageTitle, StatusPill, Time } from "../components/common";
import { DataTable, Pager, type ColumnDef } from "../components/DataTable";
import { FilterBar, SelectFilter, TextFilter } from "../components/Filters";
import { useLive } from "../context";
import { useLoad, useThrottledEffect } from "../lib/hooks";
import { shortNumber, shortOrderId } from "../lib/ids";
import { href, type Route } from "../lib/route";

const LIMIT = 50;
/** The signal states, in the words the reasons use. */
const STATUSES: [string, string][] = [["", "any"], ["PENDING", "waiting"], ["VALIDATED", "accepted"],
  ["EXECUTED", "order sent"], ["FAILED", "refused"], ["CANCELLED", "ignored"]];

const COLUMNS: ColumnDef<Signal>[] = [
  { key: "id", label: "ID", render: (s) => <span className="id-cell" title={String(s.id)}>{shortNumber(String(s.id))}</span> },
  { key: "ts", label: "Time", render: (s) => <Time value={s.ts} /> },
  { key: "strategy", label: "Strategy" },
  { key: "symbol", label: "Symbol" },
  { key: "side", label: "Side" },
  { key: "status", label: "Status", render: (s) => <StatusPill value={s.status} /> },
  { key: "why", label: "Condition", render: (s) => <span className="reason clamp" title={s.why ?? undefined}>{s.why || "—"}</span> },
  { key: "price", label: "Price", numeric: true, render: (s) => <Money value={s.price} /> },
  { key: "reason", label: "Outcome", render: (s) => <span className="reason clamp" title={s.reason ?? undefined}>{s.reason || "—"}</span> },
  {
    key: "order_ids",
    label: "Orders",
    render: (s) => s.order_ids.length === 0 ? "—" : (
      <span className="links">
        {s.order_ids.map((id) => <a key={id} href={href("orders", { id })} className="id-cell" title={String(id)}>{shortOrderId(id)}</a>)}
      </span>
    ),
  },
  { key: "trade_id", label: "Trade", render: (s) => s.trade_id === null || s.trade_id === undefined ? "—" : (
    <a href={href("trades", { id: s.trade_id })}>{s.trade_id}</a>) },
];

export function SignalsPage({ route }: { route: Route }) {
  const { live } = useLive();
  const selected = route.params.get("id");
  const [status, setStatus] = useState(route.params.get("status") ?? "");
  const [symbol, setSymbol] = useState("");
  const [strategy, setStrategy] = useState("");
  const [offset, setOffset] = useState(0);
  const signals = useLoad(
    () => api.get<Page<Signal>>("/signals", { status, symbol, strategy, limit: LIMIT, offset }),
    JSON.stringify({ status, symbol, strategy, offset }),
  );
  useThrottledEffect(signals.reload, live.touched.signal, 1000);
  return (
    <div className="page">
      <PageTitle>Signals</PageTitle>
      <FilterBar>
        <SelectFilter label="Status" value={status} onChange={(v) => { setStatus(v); setOffset(0); }}
          testId="filter-status" options={STATUSES.map(([value, label]) => ({ value, label }))} />
        <TextFilter label="Symbol" value={symbol} onChange={(v) => { setSymbol(v); setOffset(0); }}
          testId="filter-symbol" placeholder="any" />
        <TextFilter label="Strategy" value={strategy} onChange={(v) => { setStrategy(v.toLowerCase()); setOffset(0); }}
          testId="filter-strategy" placeholder="any" />
      </FilterBar>
      <ErrorText error={signals.error} />
      <Card>
        <DataTable testId="signals-table" columns={COLUMNS} rows={signals.data?.items ?? []} rowId={(s) => s.id}
          selected={selected} empty="No signals" />
        <Pager total={signals.data?.total ?? 0} limit={LIMIT} offset={offset} onChange={setOffset} />
      </Card>
    </div>
  );
}
