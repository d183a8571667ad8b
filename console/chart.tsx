/** A horizontal bar chart drawn on the server as SVG (no chart library, no script), with a text alternative. */
export function BarChart(props: { title: string; bars: { label: string; value: number; color: string }[] }) {
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const rowH = 28;
  const labelW = 90;
  const width = 420;
  const height = props.bars.length * rowH + 8;
  const summary = props.bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-label={`${props.title} — ${summary}`}
      style="max-width:480px"
    >
      {props.bars.map((b, i) => {
        const w = Math.round(((width - labelW - 60) * b.value) / max);
        const y = i * rowH + 4;
        return (
          <g>
            <text x={0} y={y + 16} font-size="13" fill="#1d2433">
              {b.label}
            </text>
            <rect x={labelW} y={y} width={Math.max(w, 1)} height={20} fill={b.color} rx={2} />
            <text x={labelW + w + 6} y={y + 15} font-size="13" fill="#1d2433">
              {String(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export const SEVERITY_COLORS = {
  critical: '#8e1b1b',
  high: '#c2410c',
  medium: '#a16207',
  low: '#2f6f4f',
} as const;
