/** A small hand-drawn SVG line chart: one series, time on x, auto-scaled y from 0. */
export function LineChart(p: { title: string; points: Array<[number, number]>; format: (v: number) => string; from: number; to: number }) {
  const W = 320;
  const H = 110;
  const pad = { l: 4, r: 4, t: 8, b: 16 };
  const max = Math.max(1e-9, ...p.points.map(([, v]) => v));
  const x = (t: number) => pad.l + ((t - p.from) / Math.max(1, p.to - p.from)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const d = p.points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const last = p.points.at(-1);
  return (
    <figure class="chart" data-points={p.points.length}>
      <figcaption>
        {p.title} <strong>{last ? p.format(last[1]) : '–'}</strong> <small>max {p.points.length ? p.format(max) : '–'}</small>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${p.title}, ${p.points.length} samples`} preserveAspectRatio="none">
        <line x1={pad.l} x2={W - pad.r} y1={H - pad.b} y2={H - pad.b} class="axis" />
        {p.points.length > 0 && <path d={`${d}L${x(p.points.at(-1)![0]).toFixed(1)},${H - pad.b}L${x(p.points[0]![0]).toFixed(1)},${H - pad.b}Z`} class="area" />}
        <path d={d} class="line" />
        {p.points.length <= 120 && p.points.map(([t, v]) => <circle cx={x(t)} cy={y(v)} r="1.6" class="dot" />)}
        <text x={pad.l} y={H - 3} class="tick">-{Math.max(1, Math.round((p.to - p.from) / 60000))} min</text>
        <text x={W - pad.r} y={H - 3} class="tick" text-anchor="end">now</text>
      </svg>
    </figure>
  );
}
