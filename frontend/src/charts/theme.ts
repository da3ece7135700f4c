import { ColorType, type DeepPartial, type ChartOptions } from "lightweight-charts";

export const CHART_OPTIONS: DeepPartial<ChartOptions> = {
  autoSize: true,
  layout: {
    background: { type: ColorType.Solid, color: "#ffffff" },
    textColor: "#1b1f24",
    // TradingView's logo link: the attribution lightweight-charts' licence asks for.
    attributionLogo: true,
  },
  grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
  rightPriceScale: { borderColor: "#d9dee5" },
  timeScale: { borderColor: "#d9dee5", timeVisible: true, secondsVisible: false },
  crosshair: { mode: 0 },
};

export const COLORS = ["#1f6feb", "#d4a72c", "#8250df", "#bf3989", "#1a7f37", "#cf222e", "#0a3069"];
