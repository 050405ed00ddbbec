// The chart a person looks at: latency CDFs, and delivered frames/s and p99 against the number of
// sockets, gateway beside ceiling. Drawn as SVG by hand and rasterised to PNG with resvg.

import { Resvg } from '@resvg/resvg-js';
import type { ResultLine } from './report.js';

const W = 1500;
const H = 520;
const COLORS: Record<string, string[]> = {
  gateway: ['#9ecae1', '#6baed6', '#3182bd', '#08519c', '#08306b'],
  ceiling: ['#fdae6b', '#fd8d3c', '#e6550d', '#a63603', '#7f2704'],
};

interface Panel {
  x: number;
  y: number;
  w: number;
  h: number;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v % 1e3 === 0 ? 0 : 1)}k`;
  if (v < 1 && v > 0) return String(Number(v.toPrecision(2)));
  return String(Math.round(v * 100) / 100);
}

function frame(p: Panel, title: string, xLabel: string, yLabel: string): string {
  return [
    `<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="none" stroke="#999"/>`,
    `<text x="${p.x + p.w / 2}" y="${p.y - 12}" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${p.x + p.w / 2}" y="${p.y + p.h + 38}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text transform="translate(${p.x - 52} ${p.y + p.h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  ].join('\n');
}

function polyline(points: Array<[number, number]>, color: string, width = 2, dash = ''): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  return (
    `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>` +
    points
      .map(([x, y]) =>
        points.length <= 12 ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${color}"/>` : '',
      )
      .join('')
  );
}

function cdfPanel(p: Panel, runs: readonly ResultLine[]): string {
  const out: string[] = [
    frame(p, 'Latency CDF (new_message, measured phase)', 'latency, ms (log scale)', 'fraction of frames ≤ latency'),
  ];
  const all = runs
    .flatMap((r) => r.latencyCdf ?? [])
    .map(([ms]) => ms)
    .filter((v) => v > 0);
  if (all.length === 0) return out.join('\n');
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const sx = (ms: number) =>
    p.x + ((Math.log10(Math.max(lo, ms)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * p.w;
  const sy = (f: number) => p.y + p.h - f * p.h;
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v > hi * 1.0001) continue;
      out.push(`<line x1="${sx(v)}" y1="${p.y}" x2="${sx(v)}" y2="${p.y + p.h}" stroke="#eee"/>`);
      out.push(`<text x="${sx(v)}" y="${p.y + p.h + 16}" text-anchor="middle" font-size="11">${fmt(v)}</text>`);
    }
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    out.push(`<line x1="${p.x}" y1="${sy(f)}" x2="${p.x + p.w}" y2="${sy(f)}" stroke="#eee"/>`);
    out.push(`<text x="${p.x - 6}" y="${sy(f) + 4}" text-anchor="end" font-size="11">${f}</text>`);
  }
  const byTarget: Record<string, number> = {};
  runs.forEach((r) => {
    const i = byTarget[r.target] ?? 0;
    byTarget[r.target] = i + 1;
    const palette = COLORS[r.target] ?? ['#555'];
    const color = palette[Math.min(palette.length - 1, i + 1)]!;
    const pts: Array<[number, number]> = [];
    let prev = 0;
    for (const [ms, f] of r.latencyCdf ?? []) {
      pts.push([sx(ms), sy(prev)], [sx(ms), sy(f)]);
      prev = f;
    }
    out.push(polyline(pts.slice(1), color, 1.8, r.kind === 'e2e' ? '6 3' : ''));
  });
  // legend
  runs.forEach((r, i) => {
    const palette = COLORS[r.target] ?? ['#555'];
    const k = runs.slice(0, i).filter((x) => x.target === r.target).length;
    const color = palette[Math.min(palette.length - 1, k + 1)]!;
    const y = p.y + p.h - 12 - (runs.length - 1 - i) * 15;
    out.push(
      `<line x1="${p.x + p.w - 190}" y1="${y - 4}" x2="${p.x + p.w - 170}" y2="${y - 4}" stroke="${color}" stroke-width="3"${r.kind === 'e2e' ? ' stroke-dasharray="6 3"' : ''}/>`,
    );
    out.push(
      `<text x="${p.x + p.w - 165}" y="${y}" font-size="11">${esc(`${r.target} ${r.scenario} N=${fmt(r.connect.opened)}`)}</text>`,
    );
  });
  return out.join('\n');
}

function againstN(
  p: Panel,
  runs: readonly ResultLine[],
  title: string,
  yLabel: string,
  value: (r: ResultLine) => number | undefined,
): string {
  const out: string[] = [frame(p, title, 'sockets (N)', yLabel)];
  const pts = runs
    .map((r) => ({ r, n: r.connect.opened, v: value(r) }))
    .filter((x) => x.v !== undefined && Number.isFinite(x.v)) as Array<{ r: ResultLine; n: number; v: number }>;
  if (pts.length === 0) return out.join('\n');
  const xTicks = niceTicks(Math.max(...pts.map((x) => x.n)));
  const yTicks = niceTicks(Math.max(...pts.map((x) => x.v)));
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const sx = (n: number) => p.x + (n / xMax) * p.w;
  const sy = (v: number) => p.y + p.h - (v / yMax) * p.h;
  for (const t of xTicks) {
    out.push(`<line x1="${sx(t)}" y1="${p.y}" x2="${sx(t)}" y2="${p.y + p.h}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t)}" y="${p.y + p.h + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<line x1="${p.x}" y1="${sy(t)}" x2="${p.x + p.w}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${p.x - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  const series = new Map<string, Array<{ n: number; v: number }>>();
  for (const x of pts) {
    const key = `${x.r.target} ${x.r.scenario}`;
    series.set(key, [...(series.get(key) ?? []), { n: x.n, v: x.v }]);
  }
  let row = 0;
  for (const [key, values] of series) {
    const target = key.split(' ')[0]!;
    const color = (COLORS[target] ?? ['#555'])[3]!;
    values.sort((a, b) => a.n - b.n);
    out.push(
      polyline(
        values.map(({ n, v }) => [sx(n), sy(v)]),
        color,
        2.2,
      ),
    );
    out.push(
      `<line x1="${p.x + 12}" y1="${p.y + 16 + row * 16}" x2="${p.x + 32}" y2="${p.y + 16 + row * 16}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(`<text x="${p.x + 37}" y="${p.y + 20 + row * 16}" font-size="11">${esc(key)}</text>`);
    row++;
  }
  return out.join('\n');
}

export function chartSvg(lines: readonly ResultLine[], subtitle: string): string {
  const withLatency = lines.filter((l) => l.latencyCdf && l.latencyCdf.length > 0);
  const fanout = lines.filter((l) => l.kind === 'fanout');
  const panels: Panel[] = [
    { x: 80, y: 70, w: 520, h: 370 },
    { x: 700, y: 70, w: 330, h: 370 },
    { x: 1120, y: 70, w: 330, h: 370 },
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="13" fill="#333">${esc(subtitle)}</text>`,
    cdfPanel(panels[0]!, withLatency),
    againstN(panels[1]!, fanout, 'Delivered frames/s against N', 'frames per second', (r) => r.events?.framesPerSecond),
    againstN(panels[2]!, fanout, 'p99 latency against N', 'p99, ms', (r) => r.latency?.['new_message']?.p99),
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle" font-size="11" fill="#666">blue: gateway · orange: ceiling (minimal uWS server fed from Redis) · dashed: end to end (POST → frame)</text>`,
    '</svg>',
  ].join('\n');
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' })
    .render()
    .asPng();
}
