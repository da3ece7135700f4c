/**
 * A live session's price with its orders: the chart is made once and its data replaced as
 * bars arrive: the whole day while it is short (150 bars), then the last bar once, after which
 * the view the user scrolled to is kept. Lazy-loaded with lightweight-charts.
 */
import { useEffect, useRef } from "react";
import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
} from "lightweight-charts";
import { CHART_OPTIONS } from "./theme";
import { candleData, type CandleArrays } from "./series";
import { Attribution } from "./Attribution";

const FIT_BARS = 150;

interface Props {
  candles: CandleArrays | null;
  /** Markers for the given bar times (chart seconds). */
  markers: (barTimes: number[]) => SeriesMarker<Time>[];
}

export default function LiveChart({ candles, markers }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const priceRef = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const markersRef = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const fitted = useRef(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = createChart(el, CHART_OPTIONS);
    const price = chart.addSeries(CandlestickSeries, {
      upColor: "#1a7f37",
      downColor: "#cf222e",
      wickUpColor: "#1a7f37",
      wickDownColor: "#cf222e",
      borderVisible: false,
    });
    chartRef.current = chart;
    priceRef.current = price;
    markersRef.current = createSeriesMarkers(price, []);
    fitted.current = false;
    return () => {
      chartRef.current = priceRef.current = markersRef.current = null;
      chart.remove();
    };
  }, []);

  useEffect(() => {
    const price = priceRef.current;
    const el = box.current;
    if (!price || !el) return;
    const data = candles ? candleData(candles) : [];
    price.setData(data);
    const m = markers(data.map((d) => d.time as number));
    markersRef.current?.setMarkers(m);
    el.dataset.markerCount = String(m.length);
    el.dataset.barCount = String(data.length);
    // A short day so far is shown whole; a longer one follows the last bar.
    const scale = chartRef.current?.timeScale();
    if (scale && data.length) {
      if (data.length <= FIT_BARS) scale.fitContent();
      else if (!fitted.current) scale.scrollToRealTime();
      fitted.current = data.length > FIT_BARS;
    }
  }, [candles, markers]);

  return (
    <div>
      <div
        ref={box}
        className="chart"
        data-testid="live-chart"
        style={{ height: 320 }}
        role="img"
        aria-label="Price chart of the session with its orders"
      />
      <Attribution />
    </div>
  );
}
