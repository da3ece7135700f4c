/** A small SVG bar chart for categories (weekday, hour, day): positive bars green, negative
 * red; every bar has a text label, so the numbers are readable without the picture. */
export interface Bar {
  label: string;
  value: number;
  title?: string;
}

export function BarChart({ bars, label }: { bars: Bar[]; label: string }) {
  const width = Math.max(240, bars.length * 28);
  const height = 140;
  const max = Math.max(1e-9, ...bars.map((b) => Math.abs(b.value)));
  const hasNeg = bars.some((b) => b.value < 0);
  const zero = hasNeg ? height / 2 : height - 18;
  const scale = (hasNeg ? height / 2 - 18 : height - 30) / max;
  const w = width / Math.max(1, bars.length);
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      className="barchart"
      role="img"
      aria-label={label}
      style={{ width: "100%", height: "auto", maxHeight: 220 }}
    >
      <line x1={0} x2={width} y1={zero} y2={zero} stroke="#d9dee5" />
      {bars.map((b, i) => {
        const h = Math.abs(b.value) * scale;
        const y = b.value >= 0 ? zero - h : zero;
        return (
          <g key={b.label}>
            <rect
              x={i * w + 3}
              y={y}
              width={Math.max(2, w - 6)}
              height={Math.max(1, h)}
              fill={b.value >= 0 ? "#2da44e" : "#cf222e"}
            >
              <title>{b.title ?? `${b.label}: ${b.value}`}</title>
            </rect>
            {bars.length <= 24 && (
              <text
                x={i * w + w / 2}
                y={height - 4}
                fontSize={10}
                textAnchor="middle"
                fill="#5b6470"
              >
                {b.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
