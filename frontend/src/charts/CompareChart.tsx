/** Equity curves of several runs overlaid, as % change from each run's start. */
import { useEffect, useRef } from "react";
import { LineSeries, createChart } from "lightweight-charts";
import { CHART_OPTIONS, COLORS } from "./theme";
import { percentCurve } from "./series";
import { Attribution } from "./Attribution";

export interface CompareLine {
  label: string;
  curve: unknown[][] | null | undefined;
}

export default function CompareChart({ lines }: { lines: CompareLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = createChart(el, {
      ...CHART_OPTIONS,
      localization: { priceFormatter: (v: number) => `${v.toFixed(2)}%` },
    });
    lines.forEach((line, i) => {
      const s = chart.addSeries(LineSeries, {
        color: COLORS[i % COLORS.length],
        lineWidth: 2,
        title: line.label,
        priceLineVisible: false,
      });
      s.setData(percentCurve(line.curve));
    });
    chart.timeScale().fitContent();
    el.dataset.lineCount = String(lines.length);
    return () => chart.remove();
  }, [lines]);
  return (
    <div>
      <div
        ref={box}
        className="chart"
        data-testid="compare-chart"
        style={{ height: 320 }}
        role="img"
        aria-label="Equity curves compared"
      />
      <Attribution />
    </div>
  );
}
