import { useMemo, useState } from "react";
import { api } from "../api/client";
import type { CorrelationMatrix, RollingCorrelation, SymbolInfo } from "../api/types";
import { Card, ErrorText, PageTitle, Time } from "../components/common";
import { COLORS } from "../components/charting";
import { SelectFilter } from "../components/Filters";
import { Heatmap } from "../components/Heatmap";
import { TimeSeriesChart } from "../components/TimeSeriesChart";
import { useSession } from "../context";
import { useLoad } from "../lib/hooks";
import { toSeries } from "../lib/series";
import { TIMEFRAMES } from "./Charts";

const METHODS = ["pearson", "spearman", "kendall"];
const WINDOWS = ["20", "30", "50", "100", "200"];

export function CorrelationPage() {
  const { theme } = useSession();
  const [method, setMethod] = useState("pearson");
  const [window, setWindow] = useState("50");
  const [timeframe, setTimeframe] = useState("5m");
  const [symbolsText, setSymbolsText] = useState("");
  const [pair, setPair] = useState<[string, string] | null>(null);
  const symbols = useLoad(() => api.get<{ items: SymbolInfo[] }>("/symbols"), "symbols");
  const chosen = symbolsText.trim()
    ? symbolsText.toUpperCase().split(/[\s,]+/).filter(Boolean).join(",")
    : (symbols.data?.items ?? []).slice(0, 20).map((s) => s.symbol).join(",");
  const matrix = useLoad(
    () => (chosen ? api.get<CorrelationMatrix>("/correlation/matrix", { symbols: chosen, method, window, timeframe })
      : Promise.resolve(null)),
    `${chosen}|${method}|${window}|${timeframe}`,
  );
  const rolling = useLoad(
    () => (pair ? api.get<RollingCorrelation>("/correlation/rolling", { a: pair[0], b: pair[1], method, window, timeframe })
      : Promise.resolve(null)),
    `${pair?.join("-")}|${method}|${window}|${timeframe}`,
  );
  const series = useMemo(() => [{
    name: rolling.data ? `${rolling.data.a} × ${rolling.data.b}` : "",
    color: COLORS.equity,
    points: toSeries(rolling.data?.points ?? [], (p) => p.t, (p) => p.value),
    decimals: 3,
  }], [rolling.data]);

  return (
    <div className="page">
      <PageTitle>Correlation</PageTitle>
      <div className="toolbar">
        <SelectFilter label="Method" value={method} onChange={setMethod} testId="corr-method"
          options={METHODS.map((m) => ({ value: m, label: m[0].toUpperCase() + m.slice(1) }))} />
        <SelectFilter label="Window (bars)" value={window} onChange={setWindow} testId="corr-window"
          options={WINDOWS.map((w) => ({ value: w, label: w }))} />
        <SelectFilter label="Timeframe" value={timeframe} onChange={setTimeframe} testId="corr-timeframe"
          options={TIMEFRAMES.map((t) => ({ value: t, label: t.replace("m", " min") }))} />
        <label className="filter grow">
          <span>Symbols</span>
          <input value={symbolsText} data-testid="corr-symbols" placeholder={chosen || "all stored symbols"}
            onChange={(e) => setSymbolsText(e.target.value)} />
        </label>
      </div>
      <ErrorText error={symbols.error ?? matrix.error} />
      <div className="grid-2 wide-left">
        <Card title="Heatmap" actions={matrix.data?.as_of ? <span className="muted">as of <Time value={matrix.data.as_of} /></span> : null}>
          {matrix.data && matrix.data.symbols.length > 0 ? (
            <Heatmap matrix={matrix.data} theme={theme} selected={pair} onSelect={(a, b) => setPair([a, b])} />
          ) : (
            <div className="muted" data-testid="heatmap">{matrix.loading ? "Loading…" : "No symbols with data"}</div>
          )}
        </Card>
        <Card title={pair ? `Rolling ${method} of ${pair[0]} and ${pair[1]}` : "Rolling correlation"}>
          <ErrorText error={rolling.error} />
          {pair ? (
            <TimeSeriesChart testId="rolling-chart" theme={theme} height={300} series={series}
              empty="Not enough bars for this window" />
          ) : (
            <div className="muted">Click a cell of the heatmap to chart that pair's correlation over time.</div>
          )}
        </Card>
      </div>
    </div>
  );
}
