/**
 * Price with the run's trades (entry arrows, exit circles), indicator overlays, and the
 * equity and drawdown panes below, on one time axis. Lazy-loaded with lightweight-charts.
 * Clicking a marker selects its trade; selecting a trade elsewhere scrolls the chart to it.
 */
import { useEffect, useRef } from "react";
import {
  AreaSeries,
  CandlestickSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type UTCTimestamp,
} from "lightweight-charts";
import { CHART_OPTIONS, COLORS } from "./theme";
import { candleData, curveData, tradeMarkers, type CandleArrays, type TradeMark } from "./series";
import { chartTime } from "../lib/time";
import { Attribution } from "./Attribution";

export interface Overlay {
  name: string;
  values: (number | null)[]; // one per candle
}

interface Props {
  candles: CandleArrays | null;
  trades: TradeMark[];
  equity: unknown[][] | null | undefined;
  drawdown: unknown[][] | null | undefined;
  overlays: Overlay[];
  selected: number | null;
  onSelect: (seq: number) => void;
}

export default function BacktestChart(props: Props) {
  const { candles, trades, equity, drawdown, overlays, selected, onSelect } = props;
  const box = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const onSelectRef = useRef(onSelect);
  useEffect(() => {
    onSelectRef.current = onSelect;
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = createChart(el, CHART_OPTIONS);
    chartRef.current = chart;
    let pane = 0;
    if (candles && candles.t.length) {
      const price = chart.addSeries(CandlestickSeries, {
        upColor: "#1a7f37",
        downColor: "#cf222e",
        wickUpColor: "#1a7f37",
        wickDownColor: "#cf222e",
        borderVisible: false,
      });
      const data = candleData(candles);
      price.setData(data);
      const times = data.map((d) => d.time as number);
      const markers = tradeMarkers(trades, times);
      createSeriesMarkers(price, markers);
      el.dataset.markerCount = String(markers.length);
      overlays.forEach((o, i) => {
        const line = chart.addSeries(LineSeries, {
          color: COLORS[(i + 1) % COLORS.length],
          lineWidth: 1,
          title: o.name,
          priceLineVisible: false,
          lastValueVisible: false,
        });
        line.setData(
          o.values.flatMap((v, j) => (v === null ? [] : [{ time: data[j]!.time, value: v }])),
        );
      });
      pane += 1;
    } else {
      el.dataset.markerCount = "0";
    }
    const eq = curveData(equity);
    if (eq.length) {
      const s = chart.addSeries(
        LineSeries,
        { color: COLORS[0], lineWidth: 2, title: "Equity", priceLineVisible: false },
        pane,
      );
      s.setData(eq);
      pane += 1;
    }
    const dd = curveData(drawdown);
    if (dd.length) {
      const s = chart.addSeries(
        AreaSeries,
        {
          lineColor: "#cf222e",
          topColor: "rgba(207,34,46,0.05)",
          bottomColor: "rgba(207,34,46,0.35)",
          lineWidth: 1,
          title: "Drawdown",
          priceLineVisible: false,
        },
        pane,
      );
      s.setData(dd);
    }
    const panes = chart.panes();
    if (panes.length > 1) {
      panes.forEach((p, i) => p.setHeight(i === 0 && candles ? 320 : 110));
    }
    chart.timeScale().fitContent();
    chart.subscribeClick((param) => {
      const id = param.hoveredObjectId;
      if (typeof id === "string" && /^[ex]\d+$/.test(id)) onSelectRef.current(Number(id.slice(1)));
    });
    return () => {
      chartRef.current = null;
      chart.remove();
    };
  }, [candles, trades, equity, drawdown, overlays]);

  useEffect(() => {
    const chart = chartRef.current;
    const trade = trades.find((t) => t.seq === selected);
    if (!chart || !trade) return;
    const from = chartTime(trade.entry_time);
    const to = chartTime(trade.exit_time);
    const pad = Math.max(1800, (to - from) * 2);
    chart.timeScale().setVisibleRange({
      from: (from - pad) as UTCTimestamp,
      to: (to + pad) as UTCTimestamp,
    });
  }, [selected, trades]);

  const height = (candles ? 330 : 0) + (equity?.length ? 120 : 0) + (drawdown?.length ? 120 : 0);
  return (
    <div>
      <div
        ref={box}
        className="chart"
        data-testid="backtest-chart"
        style={{ height: Math.max(height, 220) }}
        role="img"
        aria-label="Price chart with trade markers, equity and drawdown"
      />
      <Attribution />
    </div>
  );
}
