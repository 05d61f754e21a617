import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import { countOf, type BrokerHealth, type FeedHealth, type OpenTrade, type Overview, type StateBody } from "../api/types";
import { Card, ErrorText, Money, PageTitle, Pnl, Stat, Time } from "../components/common";
import { DataTable, type ColumnDef } from "../components/DataTable";
import { COLORS } from "../components/charting";
import { StateBadge, StateControls } from "../components/StateControls";
import { TimeSeriesChart } from "../components/TimeSeriesChart";
import { useLive, useSession } from "../context";
import { formatLatency, formatMoney } from "../lib/format";
import { useInterval, useLoad, useThrottledEffect } from "../lib/hooks";
import { href } from "../lib/route";
import { drawdownFromEquity, fractionToPercent, toSeries } from "../lib/series";

function HealthLine({ label, status, detail, testId }: {
  label: string;
  status: string | undefined;
  detail: string;
  testId: string;
}) {
  const ok = /^(ok|up|connected|live|healthy|running)$/i.test(status ?? "");
  return (
    <div className="health-line" data-testid={testId}>
      <span className={`dot ${ok ? "ok" : "bad"}`} />
      <strong>{label}</strong> <span className="pill">{status ?? "unknown"}</span>
      <span className="muted">{detail}</span>
    </div>
  );
}

const POSITION_COLUMNS: ColumnDef<OpenTrade>[] = [
  { key: "id", label: "Trade", render: (t) => (t.id === null ? "—" : <a href={href("trades", { id: t.id })}>{t.id}</a>) },
  { key: "symbol", label: "Symbol" },
  { key: "side", label: "Side" },
  { key: "strategy", label: "Strategy" },
  { key: "quantity", label: "Qty", numeric: true },
  { key: "entry_price", label: "Entry", numeric: true, render: (t) => <Money value={t.entry_price} /> },
  { key: "last_price", label: "Last", numeric: true, render: (t) => <Money value={t.last_price} /> },
  { key: "unrealized_pnl", label: "Unrealized P&L", numeric: true, render: (t) => <Pnl value={t.unrealized_pnl} /> },
];

export function OverviewPage() {
  const { theme } = useSession();
  const { live } = useLive();
  const overview = useLoad(() => api.get<Overview>("/overview"), "overview");
  const [stateOverride, setStateOverride] = useState<StateBody | null>(null);
  useInterval(overview.reload, 10_000);
  // Trades, fills, state changes: refresh the figures (at most once a second); P&L moves with every price, so
  // its events refresh them at most every 3 s. Every figure on the cards comes from one fetched overview, so
  // account value, today's and total P&L always agree with each other.
  useThrottledEffect(overview.reload, `${live.touched.trade}-${live.touched.fill}-${live.touched.state}`, 1000);
  useThrottledEffect(overview.reload, `${live.touched.pnl}`, 3000);

  const data = overview.data;
  // The newest word on the trading state wins: a fetched overview, a `state` event, or an action's answer.
  useEffect(() => setStateOverride(null), [data]);
  useEffect(() => {
    if (live.state) {
      const { state: s, reason, actor, ts } = live.state;
      setStateOverride({ state: s as StateBody["state"], reason: reason ?? "", actor: actor ?? "", since: ts, pending_kill: false });
    }
  }, [live.state]);
  const state = stateOverride?.state ?? data?.state.state ?? null;
  const stateReason = stateOverride?.reason ?? data?.state.reason ?? null;
  const totalPnl = data?.total_pnl;

  const series = useMemo(() => {
    const equity = toSeries(data?.equity ?? [], (p) => p.ts, (p) => p.equity);
    const given = fractionToPercent(toSeries(data?.equity ?? [], (p) => p.ts, (p) => p.drawdown));
    const drawdown = given.length ? given : drawdownFromEquity(equity);
    return [
      { name: "Equity", color: COLORS.equity, points: equity, kind: "area" as const },
      { name: "Drawdown %", color: COLORS.drawdown, points: drawdown, pane: 1 },
    ];
  }, [data?.equity]);

  const feed = (live.health?.feed as FeedHealth | undefined) ?? data?.health.feed;
  const broker = (live.health?.broker as BrokerHealth | undefined) ?? data?.health.broker;

  return (
    <div className="page">
      <PageTitle>Overview</PageTitle>
      <ErrorText error={overview.error} />
      <div className="grid-stats">
        <Card>
          <Stat label="Account value"><Money value={data?.account_value} testId="account-value" /></Stat>
          <div className="sub muted">Cash {formatMoney(data?.cash)}</div>
        </Card>
        <Card>
          <Stat label="Today's P&L"><Pnl value={data?.today_pnl} testId="today-pnl" /></Stat>
          <div className="sub muted">
            Realized {formatMoney(data?.realized_pnl)} · Unrealized {formatMoney(data?.unrealized_pnl)}
          </div>
        </Card>
        <Card>
          <Stat label="Total P&L"><Pnl value={totalPnl} testId="total-pnl" /></Stat>
        </Card>
        <Card>
          <Stat label="Open trades">
            <a href={href("trades", { status: "open" })} data-testid="open-trades-count">{countOf(data?.open_trades) ?? "—"}</a>
          </Stat>
          <div className="sub muted">
            <a href={href("orders", { status: "open" })}>{countOf(data?.working_orders) ?? "—"} working orders</a>
          </div>
        </Card>
      </div>
      <div className="grid-3">
        <Card title="Trading state" className="state-card">
          <div className="state-row">
            <StateBadge state={state} />
            <div className="state-meta">
              {stateReason && <div>{stateReason}</div>}
              <div className="muted">
                {(stateOverride?.actor ?? data?.state.actor) && <>by {stateOverride?.actor ?? data?.state.actor} · </>}
                {(stateOverride?.since ?? data?.state.since) ? <>since <Time value={stateOverride?.since ?? data?.state.since} /></> : "since the run started"}
              </div>
            </div>
          </div>
          {(stateOverride ?? data?.state)?.pending_kill && <div className="banner small">Kill requested: the engine flattens at its next sweep.</div>}
          <StateControls state={state} onChanged={setStateOverride} />
        </Card>
        <Card title="Account limits">
          <div className="kv">
            <span>Buying power</span><span className="num">{formatMoney(data?.buying_power)}</span>
            <span>Day trades (5 days)</span>
            <span className="num" data-testid="pdt-day-trades">
              {data ? `${data.pdt.day_trades_5d} / ${data.pdt.limit}` : "—"}
              {/* A pattern day trader above the equity minimum may go on day trading: flagged, not blocked. */}
              {data?.pdt.flagged && (
                <span className={`pill ${data.pdt.remaining === null ? "" : "pill-bad"}`}
                  title={data.pdt.remaining === null ? "pattern day trader; the account's equity allows day trading"
                    : "pattern day trader below the equity minimum"}> PDT flagged</span>
              )}
            </span>
            <span>Day trades left</span><span className="num">{data?.pdt.remaining ?? "no limit"}</span>
            <span>Run</span>
            <span>{data?.run ? `${data.run.mode} · ${data.run.feed} · ${data.run.status}` : "not running"}</span>
            {data?.run?.sim_now && (<><span>Market time</span><span><Time value={data.run.sim_now} /></span></>)}
          </div>
        </Card>
        <Card title="Health">
          <HealthLine label="Feed" testId="health-feed" status={feed?.status}
            detail={feed ? `p50 ${formatLatency(feed.latency_p50_ms)} · p99 ${formatLatency(feed.latency_p99_ms)}` : ""} />
          <HealthLine label="Broker" testId="health-broker" status={broker?.status} detail={broker?.detail ?? ""} />
          {feed?.last_tick && <div className="muted small">Last tick <Time value={feed.last_tick} /></div>}
        </Card>
      </div>
      <Card title="Equity and drawdown">
        <TimeSeriesChart testId="equity-chart" theme={theme} height={300} series={series}
          empty="No equity recorded yet" />
      </Card>
      {Array.isArray(data?.open_trades) && (
        <Card title="Open positions">
          <DataTable testId="open-positions" columns={POSITION_COLUMNS} rows={data.open_trades}
            rowId={(t) => t.id ?? `${t.strategy}-${t.symbol}`} empty="No open positions" />
        </Card>
      )}
    </div>
  );
}
