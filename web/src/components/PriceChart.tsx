import { useEffect, useRef, useState } from "react";
import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { ChartData } from "../api/types";
import type { LiveBar } from "../lib/live";
import { barStartSeconds } from "../lib/live";
import type { Theme } from "../lib/theme";
import { chartOptions, COLORS } from "./charting";

const MARKER: Record<string, { color: string; shape: SeriesMarker<Time>["shape"] }> = {
  entry: { color: "#58a6ff", shape: "arrowUp" },
  exit: { color: "#d2a8ff", shape: "arrowDown" },
  stop: { color: COLORS.down, shape: "square" },
  target: { color: COLORS.target, shape: "circle" },
};

function num(v: string | number): number {
  return typeof v === "number" ? v : Number(v);
}

/** The markers of a chart: trade entries/exits/stops/targets at their price, swing highs and lows at the bar. */
export function chartMarkers(data: ChartData): SeriesMarker<Time>[] {
  const markers: SeriesMarker<Time>[] = [];
  for (const m of data.markers) {
    const style = MARKER[m.kind] ?? MARKER.entry;
    const short = /short|sell/i.test(m.side);
    const shape = m.kind === "entry" ? (short ? "arrowDown" : "arrowUp") : m.kind === "exit" ? (short ? "arrowUp" : "arrowDown") : style.shape;
    markers.push({
      time: m.t as UTCTimestamp,
      position: "atPriceMiddle",
      price: num(m.price),
      shape,
      color: style.color,
      text: m.kind === "entry" ? (short ? "Sell" : "Buy") : m.kind === "exit" ? "Exit" : "",
    });
  }
  for (const s of data.overlays.swing_highs) {
    markers.push({ time: s.t as UTCTimestamp, position: "aboveBar", shape: "circle", color: COLORS.swingHigh, size: 0.4 });
  }
  for (const s of data.overlays.swing_lows) {
    markers.push({ time: s.t as UTCTimestamp, position: "belowBar", shape: "circle", color: COLORS.swingLow, size: 0.4 });
  }
  return markers.sort((a, b) => (a.time as number) - (b.time as number));
}

export function PriceChart({ data, theme, liveBar, height = 460 }: {
  data: ChartData | null;
  theme: Theme;
  liveBar: LiveBar | null;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const candles = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const volume = useRef<ISeriesApi<"Histogram"> | null>(null);
  const lastTime = useRef(0);
  const [note, setNote] = useState<string[]>([]);

  useEffect(() => {
    const el = host.current;
    if (!el || !data) return;
    const c = createChart(el, { ...chartOptions(theme, height), width: el.clientWidth });
    chart.current = c;
    const decimals = 2;
    const format = { type: "price" as const, precision: decimals, minMove: 0.01 };
    const cs = c.addSeries(CandlestickSeries, {
      upColor: COLORS.up, downColor: COLORS.down, borderVisible: false, wickUpColor: COLORS.up,
      wickDownColor: COLORS.down, priceFormat: format,
    });
    cs.setData(data.bars.map((b) => ({ time: b.t as UTCTimestamp, open: num(b.open), high: num(b.high),
      low: num(b.low), close: num(b.close) })));
    const vs = c.addSeries(HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" }, color: "#8b949e55" });
    vs.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    vs.setData(data.bars.map((b) => ({ time: b.t as UTCTimestamp, value: num(b.volume) })));
    const upper = c.addSeries(LineSeries, { color: COLORS.donchian, lineWidth: 1, title: "DC up", priceFormat: format,
      lastValueVisible: false, priceLineVisible: false });
    const lower = c.addSeries(LineSeries, { color: COLORS.donchian, lineWidth: 1, title: "DC low", priceFormat: format,
      lastValueVisible: false, priceLineVisible: false });
    upper.setData(data.overlays.donchian.map((d) => ({ time: d.t as UTCTimestamp, value: num(d.upper) })));
    lower.setData(data.overlays.donchian.map((d) => ({ time: d.t as UTCTimestamp, value: num(d.lower) })));
    createSeriesMarkers(cs, chartMarkers(data));
    // The trade notes of the bar under the crosshair (markers carry only a short label).
    const notes = new Map<number, string[]>();
    for (const m of data.markers) notes.set(m.t, [...(notes.get(m.t) ?? []), m.text || m.kind]);
    c.subscribeCrosshairMove((param) => setNote(typeof param.time === "number" ? notes.get(param.time) ?? [] : []));
    candles.current = cs;
    volume.current = vs;
    lastTime.current = data.bars.length ? data.bars[data.bars.length - 1].t : 0;
    c.timeScale().fitContent();
    const resize = new ResizeObserver(() => c.applyOptions({ width: el.clientWidth }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.remove();
      chart.current = null;
      candles.current = null;
      volume.current = null;
    };
  }, [data, theme, height]);

  useEffect(() => {
    if (!liveBar || !candles.current) return;
    const t = barStartSeconds(liveBar.start);
    if (t === null || t < lastTime.current) return;
    lastTime.current = t;
    candles.current.update({ time: t as UTCTimestamp, open: num(liveBar.open), high: num(liveBar.high),
      low: num(liveBar.low), close: num(liveBar.close) });
    volume.current?.update({ time: t as UTCTimestamp, value: num(liveBar.volume) });
  }, [liveBar]);

  return (
    <div className="chart-box" data-testid="price-chart">
      <div ref={host} className="chart-host" />
      {note.length > 0 && (
        <div className="chart-note" data-testid="chart-note">
          {note.map((n, i) => <div key={i}>{n}</div>)}
        </div>
      )}
      {data && data.bars.length === 0 && <div className="chart-empty muted">No bars for this symbol and timeframe</div>}
    </div>
  );
}
