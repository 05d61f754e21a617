import {
  ColorType,
  CrosshairMode,
  type ChartOptions,
  type DeepPartial,
  type Time,
} from "lightweight-charts";
import { formatExchangeClock, formatExchangeDate, formatExchangeTime } from "../lib/format";
import type { Theme } from "../lib/theme";

function seconds(time: Time): number {
  if (typeof time === "number") return time;
  if (typeof time === "string") return Date.parse(time) / 1000;
  return Date.UTC(time.year, time.month - 1, time.day) / 1000;
}

/** Chart options for the theme, with every time on the axes and the crosshair in exchange time. */
export function chartOptions(theme: Theme, height: number): DeepPartial<ChartOptions> {
  const dark = theme === "dark";
  return {
    height,
    autoSize: false,
    layout: {
      background: { type: ColorType.Solid, color: dark ? "#161b22" : "#ffffff" },
      textColor: dark ? "#c9d1d9" : "#24292f",
      fontFamily: "system-ui, sans-serif",
      attributionLogo: false,
    },
    grid: {
      vertLines: { color: dark ? "#21262d" : "#eaeef2" },
      horzLines: { color: dark ? "#21262d" : "#eaeef2" },
    },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: dark ? "#30363d" : "#d0d7de" },
    timeScale: {
      borderColor: dark ? "#30363d" : "#d0d7de",
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (time: Time, kind: number) =>
        kind <= 2 ? formatExchangeDate(seconds(time)) : formatExchangeClock(seconds(time)),
    },
    localization: { timeFormatter: (time: Time) => formatExchangeTime(seconds(time)) },
  };
}

export const COLORS = {
  up: "#26a641",
  down: "#f85149",
  equity: "#58a6ff",
  drawdown: "#f85149",
  donchian: "#a371f7",
  swingHigh: "#d29922",
  swingLow: "#3fb950",
  second: "#d29922",
  target: "#39c5cf",
};
