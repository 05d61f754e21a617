import { useEffect, useRef } from "react";
import {
  AreaSeries,
  createChart,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from "lightweight-charts";
import type { XY } from "../lib/series";
import type { Theme } from "../lib/theme";
import { chartOptions } from "./charting";

export interface SeriesSpec {
  name: string;
  color: string;
  points: XY[];
  kind?: "line" | "area";
  /** 0: the main pane; 1: a pane below it (drawdown). */
  pane?: number;
  decimals?: number;
}

interface Props {
  testId: string;
  series: SeriesSpec[];
  theme: Theme;
  height?: number;
  empty?: string;
}

/** What the chart's series look like (not their data): a change rebuilds the chart, new data only refills it. */
function layoutKey(series: SeriesSpec[]): string {
  return series.map((s) => `${s.name}|${s.color}|${s.kind ?? "line"}|${s.pane ?? 0}|${s.decimals ?? 2}`).join(";");
}

/** One or more time series (equity, drawdown, rolling correlation) with exchange-time axes. Refreshed data
 * keeps the reader's zoom and scroll; the view fits the data the first time there is some. */
export function TimeSeriesChart({ testId, series, theme, height = 280, empty }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<"Line" | "Area">[]>([]);
  const fitted = useRef(false);
  const specs = useRef(series);
  specs.current = series;
  const layout = layoutKey(series);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = createChart(el, { ...chartOptions(theme, height), width: el.clientWidth });
    chartRef.current = chart;
    fitted.current = false;
    seriesRef.current = specs.current.map((spec) => {
      const precision = spec.decimals ?? 2;
      const format = { type: "price" as const, precision, minMove: 1 / 10 ** precision };
      return spec.kind === "area"
        ? chart.addSeries(
            AreaSeries,
            { lineColor: spec.color, topColor: `${spec.color}55`, bottomColor: `${spec.color}05`, title: spec.name,
              priceFormat: format, lineWidth: 2 },
            spec.pane ?? 0,
          )
        : chart.addSeries(LineSeries, { color: spec.color, title: spec.name, priceFormat: format, lineWidth: 2 },
            spec.pane ?? 0);
    });
    if (specs.current.some((s) => (s.pane ?? 0) > 0)) {
      const panes = chart.panes();
      if (panes.length > 1) panes[1].setHeight(Math.round(height * 0.3));
    }
    const resize = new ResizeObserver(() => chart.applyOptions({ width: el.clientWidth }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.remove();
      chartRef.current = null;
      seriesRef.current = [];
    };
  }, [layout, theme, height]);

  useEffect(() => {
    series.forEach((spec, i) => {
      seriesRef.current[i]?.setData(spec.points.map((p) => ({ time: p.time as UTCTimestamp, value: p.value })));
    });
    if (!fitted.current && series.some((s) => s.points.length > 0)) {
      chartRef.current?.timeScale().fitContent();
      fitted.current = true;
    }
  }, [series, layout, theme, height]);

  const hasData = series.some((s) => s.points.length > 0);
  return (
    <div className="chart-box" data-testid={testId}>
      <div ref={host} className="chart-host" />
      {!hasData && <div className="chart-empty muted">{empty ?? "No data yet"}</div>}
    </div>
  );
}
