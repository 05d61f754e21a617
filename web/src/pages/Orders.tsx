import { useState } from "react";
import { api } from "../api/client";
import type { Order, OrderDetail, Page } from "../api/types";
import { Card, ErrorText, Money, PageTitle, StatusPill, Time } from "../components/common";
import { DataTable, Pager, type ColumnDef } from "../components/DataTable";
import { FilterBar, SelectFilter, TextFilter } from "../components/Filters";
import { useLive } from "../context";
import { formatExchangeTime, formatMoney } from "../lib/format";
import { useLoad, useThrottledEffect } from "../lib/hooks";
import { shortNumber, shortOrderId } from "../lib/ids";
import { href, navigate, type Route } from "../lib/route";

const LIMIT = 50;

/** "open" is every working order; the rest are the order state machine's states. */
const STATUSES = ["", "open", "CREATED", "SUBMITTED", "ACCEPTED", "PARTIALLY_FILLED", "FILLED", "PENDING_CANCEL",
  "CANCELLED", "REJECTED", "EXPIRED", "UNKNOWN"];

function link(page: string, id: string | number | null) {
  return id === null || id === undefined ? "—" : <a href={href(page, { id })} title={String(id)}>{shortNumber(String(id))}</a>;
}

const COLUMNS: ColumnDef<Order>[] = [
  { key: "id", label: "ID", render: (o) => <span className="id-cell" title={String(o.id)}>{shortOrderId(o.id)}</span> },
  { key: "created", label: "Created", render: (o) => <Time value={o.created} /> },
  { key: "symbol", label: "Symbol" },
  { key: "side", label: "Side" },
  { key: "type", label: "Type" },
  { key: "tif", label: "TIF" },
  { key: "quantity", label: "Qty", numeric: true },
  { key: "filled", label: "Filled", numeric: true },
  { key: "limit_price", label: "Limit", numeric: true, render: (o) => <Money value={o.limit_price} /> },
  { key: "stop_price", label: "Stop", numeric: true, render: (o) => <Money value={o.stop_price} /> },
  { key: "avg_price", label: "Avg fill", numeric: true, render: (o) => <Money value={o.avg_price} /> },
  { key: "status", label: "Status", render: (o) => <StatusPill value={o.status} /> },
  { key: "reason", label: "Reason", render: (o) => <span className="reason clamp" title={o.reason ?? undefined}>{o.reason || "—"}</span> },
  { key: "signal_id", label: "Signal", render: (o) => link("signals", o.signal_id) },
  { key: "trade_id", label: "Trade", render: (o) => link("trades", o.trade_id) },
  { key: "updated", label: "Updated", render: (o) => <Time value={o.updated} /> },
];

function OrderDetailCard({ id }: { id: string }) {
  const detail = useLoad(() => api.get<OrderDetail>(`/orders/${encodeURIComponent(id)}`), id);
  const o = detail.data;
  return (
    <Card title={`Order ${id}`} actions={<a href={href("orders")}>Close</a>}>
      <ErrorText error={detail.error} />
      {o && (
        <div className="detail-grid">
          <div className="kv">
            <span>Order</span><span>{o.symbol} {o.side} {o.type} {o.quantity} ({o.tif ?? "—"})</span>
            <span>Status</span><span><StatusPill value={o.status} /> {o.reason ?? ""}</span>
            <span>Signal</span><span>{link("signals", o.signal_id)}</span>
            <span>Trade</span><span>{link("trades", o.trade_id)}</span>
          </div>
          <div>
            <h3>History</h3>
            <ul className="plain">
              {o.events.map((e, i) => (
                <li key={i}>{formatExchangeTime(e.ts)} <StatusPill value={e.status} /> {e.detail ?? ""}</li>
              ))}
            </ul>
            <h3>Fills</h3>
            <ul className="plain">
              {o.fills.map((f, i) => (
                <li key={i}>{formatExchangeTime(f.ts)} {f.quantity} @ {formatMoney(f.price)}</li>
              ))}
              {o.fills.length === 0 && <li className="muted">none</li>}
            </ul>
          </div>
        </div>
      )}
    </Card>
  );
}

export function OrdersPage({ route }: { route: Route }) {
  const { live } = useLive();
  const selected = route.params.get("id");
  const [status, setStatus] = useState(route.params.get("status") ?? "");
  const [symbol, setSymbol] = useState("");
  const [offset, setOffset] = useState(0);
  const orders = useLoad(
    () => api.get<Page<Order>>("/orders", { status, symbol, limit: LIMIT, offset }),
    JSON.stringify({ status, symbol, offset }),
  );
  useThrottledEffect(orders.reload, `${live.touched.order}-${live.touched.fill}`, 1000);
  return (
    <div className="page">
      <PageTitle>Orders</PageTitle>
      <FilterBar>
        <SelectFilter label="Status" value={status} onChange={(v) => { setStatus(v); setOffset(0); }}
          testId="filter-status" options={STATUSES.map((s) => ({ value: s, label: s ? s.toLowerCase().replace(/_/g, " ") : "any" }))} />
        <TextFilter label="Symbol" value={symbol} onChange={(v) => { setSymbol(v); setOffset(0); }}
          testId="filter-symbol" placeholder="any" />
      </FilterBar>
      {selected && <OrderDetailCard id={selected} />}
      <ErrorText error={orders.error} />
      <Card>
        <DataTable testId="orders-table" columns={COLUMNS} rows={orders.data?.items ?? []} rowId={(o) => o.id}
          selected={selected} empty="No orders" onRowClick={(o) => navigate("orders", { id: o.id })} />
        <Pager total={orders.data?.total ?? 0} limit={LIMIT} offset={offset} onChange={setOffset} />
      </Card>
    </div>
  );
}
