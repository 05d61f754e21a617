import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { ChartData, SymbolInfo } from "../api/types";
import { Card, ErrorText, PageTitle } from "../components/common";
import { COLORS } from "../components/charting";
import { PriceChart } from "../components/PriceChart";
import { useLive, useSession } from "../context";
import { formatMoney } from "../lib/format";
import { useLoad } from "../lib/hooks";
import { sameTimeframe } from "../lib/live";
import { navigate, type Route } from "../lib/route";

export const TIMEFRAMES = ["1m", "5m", "15m", "30m", "60m"];

export function ChartsPage({ route }: { route: Route }) {
  const { theme } = useSession();
  const { live } = useLive();
  const symbols = useLoad(() => api.get<{ items: SymbolInfo[] }>("/symbols"), "symbols");
  const first = symbols.data?.items[0]?.symbol ?? "";
  const symbol = route.params.get("symbol") ?? first;
  const timeframe = route.params.get("timeframe") ?? "5m";
  const [data, setData] = useState<ChartData | null>(null);
  const bars = useLoad(
    () => (symbol ? api.get<ChartData>("/charts/bars", { symbol, timeframe, limit: 500 }) : Promise.resolve(null)),
    `${symbol}-${timeframe}`,
  );
  useEffect(() => setData(bars.data), [bars.data]);

  const liveBar = live.lastBar && live.lastBar.symbol === symbol && sameTimeframe(live.lastBar.timeframe, timeframe)
    ? live.lastBar : null;
  const tick = live.ticks[symbol];
  const go = (next: { symbol?: string; timeframe?: string }) =>
    navigate("charts", { symbol: next.symbol ?? symbol, timeframe: next.timeframe ?? timeframe });

  return (
    <div className="page">
      <PageTitle>Charts</PageTitle>
      <div className="toolbar">
        <label className="filter">
          <span>Symbol</span>
          <select data-testid="symbol-select" value={symbol} onChange={(e) => go({ symbol: e.target.value })}>
            {symbols.data?.items.map((s) => <option key={s.symbol} value={s.symbol}>{s.symbol}</option>)}
          </select>
        </label>
        <div className="segmented" role="group" aria-label="Timeframe">
          {TIMEFRAMES.map((tf) => (
            <button key={tf} type="button" data-testid={`timeframe-${tf}`} className={tf === timeframe ? "active" : ""}
              onClick={() => go({ timeframe: tf })}>
              {tf.replace("m", " min")}
            </button>
          ))}
        </div>
        {tick && <span className="last-price">Last {formatMoney(tick.price)}</span>}
        <span className="legend">
          <i style={{ background: COLORS.donchian }} /> Donchian <i style={{ background: COLORS.swingHigh }} /> SH
          <i style={{ background: COLORS.swingLow }} /> SL <span className="muted">▲▼ entries/exits, <span style={{ color: "#f85149" }}>■</span> stop,{" "}
            <span style={{ color: COLORS.target }}>●</span> target (hover a bar for the trade's note)</span>
        </span>
      </div>
      <ErrorText error={symbols.error ?? bars.error} />
      <Card>
        <PriceChart data={data} theme={theme} liveBar={liveBar} />
      </Card>
    </div>
  );
}
