import { DateTime } from 'luxon';
import { compactAbs } from './render.js';

/**
 * Small charts drawn on the server as SVG: no script, no inline style (the CSP forbids both), readable without
 * JavaScript. Colours come from classes in app.css (so they follow the theme). Every label is escaped.
 *
 * Layout: a y-axis strip of fixed width beside a plot as wide as its box. Inside the plot, x positions are
 * percentages and y positions pixels (the height is fixed), so lines, bars and text keep their size at any width:
 * nothing is scaled down to unreadable on a phone. Lines are drawn in a nested SVG stretched to the plot
 * (preserveAspectRatio="none") with strokes that do not scale.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** -$1.5k, $0, $750 (axis labels: no trailing ".0"). */
const money = (n: number) =>
  `${n < 0 ? '-' : ''}$${compactAbs(Math.abs(n))
    .replace(/\.0(?=[kM])/, '')
    .replace(/\.00$/, '')}`;

const r1 = (n: number) => Math.round(n * 10) / 10;
const pct = (f: number) => `${r1(f * 1000) / 10}%`;

const AXIS_WIDTH = 52;
const PAD_TOP = 10;
const PAD_BOTTOM = 24;

/** Round steps for an axis: 1, 2, 2.5 or 5 × 10^k, about `count` of them over [min, max]. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw - 1e-9) as number) || mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) out.push(Math.round(v * 100) / 100);
  return out.length >= 2 ? out : [lo, lo + step];
}

interface YScale {
  ticks: number[];
  y: (v: number) => number;
}

/** A vertical scale that always shows zero, with round ticks from the lowest to the highest. */
function yScale(values: readonly number[], height: number): YScale {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const ticks = niceTicks(min, max);
  const lo = ticks[0] as number;
  const hi = ticks[ticks.length - 1] as number;
  const top = PAD_TOP;
  const bottom = height - PAD_BOTTOM;
  return { ticks, y: (v: number) => top + ((hi - v) * (bottom - top)) / (hi - lo || 1) };
}

/** The y-axis strip: a label at each tick, right-aligned against the plot. */
function yAxis(scale: YScale, height: number, fmt: (n: number) => string): string {
  const labels = scale.ticks
    .map((v) => `<text x="${AXIS_WIDTH - 6}" y="${r1(scale.y(v)) + 4}" text-anchor="end">${escapeXml(fmt(v))}</text>`)
    .join('');
  return `<svg class="y-axis" width="${AXIS_WIDTH}" height="${height}" aria-hidden="true">${labels}</svg>`;
}

/** Horizontal grid lines at the ticks, and the zero line over them. */
function gridLines(scale: YScale): string {
  const lines = scale.ticks
    .filter((v) => v !== 0)
    .map((v) => `<line class="grid-line" x1="0" x2="100%" y1="${r1(scale.y(v))}" y2="${r1(scale.y(v))}"/>`)
    .join('');
  return lines;
}

const zeroLine = (scale: YScale) => `<line class="zero" x1="0" x2="100%" y1="${r1(scale.y(0))}" y2="${r1(scale.y(0))}"/>`;

/** A label under the plot at fraction `f` of its width; ends are anchored inward so they never hang outside. */
function xLabel(f: number, text: string, height: number, minor: boolean, pinEnds = true): string {
  const anchor = pinEnds && f < 0.04 ? 'start' : pinEnds && f > 0.96 ? 'end' : 'middle';
  const cls = minor ? ' class="t-minor"' : '';
  return `<text${cls} x="${pct(f)}" y="${height - 6}" text-anchor="${anchor}">${escapeXml(text)}</text>`;
}

export interface LinePoint {
  label: string;
  value: number;
}

export interface LegendItem {
  swatch: string;
  text: string;
}

/** A legend under a chart: one swatch (a CSS class of app.css) per line or kind of bar. */
export function legend(items: readonly LegendItem[]): string {
  return `<ul class="legend">${items.map((i) => `<li><span class="sw ${escapeXml(i.swatch)}" aria-hidden="true"></span>${escapeXml(i.text)}</li>`).join('')}</ul>`;
}

/**
 * The time of a period label: a trading day (2026-11-03) is that day; an ISO week (2026-W45) its Friday; a month
 * (2026-11) its last day — a cumulative value is the total at the end of its period. Undefined for other labels.
 */
export function periodEnd(label: string): number | undefined {
  let dt: DateTime | undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(label)) dt = DateTime.fromISO(label, { zone: 'UTC' });
  else if (/^\d{4}-W\d{2}$/.test(label)) dt = DateTime.fromISO(`${label}-5`, { zone: 'UTC' });
  else if (/^\d{4}-\d{2}$/.test(label)) dt = DateTime.fromISO(`${label}-01`, { zone: 'UTC' }).endOf('month').startOf('day');
  return dt?.isValid ? dt.toMillis() : undefined;
}

const DAY = 86_400_000;

/** Dates to mark on a time axis from `from` to `to` (UTC ms), with their labels: days, weeks, months, quarters or years. */
export function timeTicks(from: number, to: number): { t: number; label: string }[] {
  const days = (to - from) / DAY;
  const start = DateTime.fromMillis(from, { zone: 'UTC' }).startOf('day');
  const end = DateTime.fromMillis(to, { zone: 'UTC' });
  const out: { t: number; label: string }[] = [];
  const push = (d: DateTime, label: string) => {
    if (d.toMillis() >= from && d.toMillis() <= to) out.push({ t: d.toMillis(), label });
  };
  if (days <= 10) {
    for (let d = start; d <= end; d = d.plus({ days: 1 })) push(d, d.toFormat('LLL d'));
  } else if (days <= 60) {
    for (let d = start.plus({ days: (8 - start.weekday) % 7 }); d <= end; d = d.plus({ weeks: 1 })) push(d, d.toFormat('LLL d'));
  } else if (days <= 130) {
    for (let m = start.startOf('month'); m <= end; m = m.plus({ months: 1 })) {
      push(m, m.toFormat(m.month === 1 ? 'yyyy' : 'LLL d'));
      push(m.set({ day: 15 }), m.set({ day: 15 }).toFormat('LLL d'));
    }
  } else if (days <= 550) {
    for (let m = start.startOf('month'); m <= end; m = m.plus({ months: 1 })) push(m, m.toFormat(m.month === 1 ? 'yyyy' : 'LLL'));
  } else if (days <= 1500) {
    for (let m = start.startOf('quarter'); m <= end; m = m.plus({ months: 3 })) push(m, m.toFormat(m.month === 1 ? 'yyyy' : 'LLL'));
  } else {
    for (let y = start.startOf('year'); y <= end; y = y.plus({ years: 1 })) push(y, y.toFormat('yyyy'));
  }
  // At most 10 marks; every other one is minor (left out on narrow screens).
  const every = Math.ceil(out.length / 10);
  return out.filter((_, i) => i % every === 0);
}

/**
 * A cumulative curve (equity) with a zero line. Labels that are periods (trading days, ISO weeks, months) are
 * placed on a real time axis (a gap of days is a gap on the axis); any other labels are spaced evenly. The curve
 * starts at $0 at the first period.
 */
export function lineChart(
  points: readonly LinePoint[],
  options: { height?: number; title: string; id?: string; series?: string; width?: number },
): string {
  if (points.length === 0) return '';
  const h = options.height ?? 220;
  const idAttr = options.id ? ` id="${escapeXml(options.id)}"` : '';
  const times = points.map((p) => periodEnd(p.label));
  const timed = times.every((t) => t !== undefined);
  const scale = yScale(
    points.map((p) => p.value),
    h,
  );
  let from = 0;
  let to = points.length - 1;
  if (timed) {
    from = Math.min(...(times as number[]));
    to = Math.max(...(times as number[]));
    if (to - from < DAY) {
      from -= DAY;
      to += DAY;
    }
  }
  const at = (i: number) => (timed ? (times[i] as number) : i);
  const span = to - from || 1;
  const frac = (v: number) => (v - from) / span;
  // Inner plot: x in 0…1000 (stretched to the width), y in pixels.
  const xs = points.map((_, i) => r1(frac(at(i)) * 1000));
  const start = timed ? r1(frac(Math.min(...(times as number[]))) * 1000) : 0;
  const coords = [`${start},${r1(scale.y(0))}`, ...points.map((p, i) => `${xs[i]},${r1(scale.y(p.value))}`)].join(' ');
  const area = `${coords} ${xs[xs.length - 1]},${r1(scale.y(0))}`;
  let xLabels = '';
  if (timed) {
    const ticks = timeTicks(from, to);
    xLabels = ticks
      .map(
        (tk, i) =>
          `<line class="grid-line" x1="${pct(frac(tk.t))}" x2="${pct(frac(tk.t))}" y1="${PAD_TOP}" y2="${h - PAD_BOTTOM}"/>${xLabel(frac(tk.t), tk.label, h, i % 2 === 1)}`,
      )
      .join('');
  } else {
    xLabels = xLabel(0, (points[0] as LinePoint).label, h, false) + xLabel(1, (points[points.length - 1] as LinePoint).label, h, false);
  }
  const first = points[0] as LinePoint;
  const last = points[points.length - 1] as LinePoint;
  const svg = `<div class="svg-chart">${yAxis(scale, h, money)}<svg class="line"${idAttr} width="100%" height="${h}" role="img" aria-label="${escapeXml(`${options.title}: ${money(last.value)} at ${last.label}`)}" data-points="${points.length}" data-axis="${timed ? 'time' : 'index'}" data-first="${escapeXml(first.label)}" data-last="${escapeXml(last.label)}">
<title>${escapeXml(options.title)}</title>
${gridLines(scale)}${xLabels}
<svg x="0" y="0" width="100%" height="${h}" viewBox="0 0 1000 ${h}" preserveAspectRatio="none"><polygon class="area" points="${area}"/><polyline class="stroke" points="${coords}" vector-effect="non-scaling-stroke"/></svg>
${zeroLine(scale)}
</svg></div>`;
  return `${svg}${legend([
    { swatch: 'line', text: options.series ?? 'Cumulative net P&L (after commission)' },
    { swatch: 'zero', text: '$0 (break-even)' },
  ])}`;
}

/** Vertical bars around a zero line, green above and red below, each with its label and value as a tooltip. */
export function barChart(
  items: readonly LinePoint[],
  options: { width?: number; height?: number; title: string; id?: string; unit?: 'money' | 'percent' },
): string {
  if (items.length === 0) return '';
  const percent = options.unit === 'percent';
  const fmt = percent ? (n: number) => `${n.toFixed(0)}%` : money;
  const exact = percent ? (n: number) => `${n.toFixed(1)}%` : (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(n).toFixed(2)}`;
  const h = options.height ?? 220;
  // At most about a dozen labels, every other one minor; dates shortened to MM-DD.
  const every = Math.max(1, Math.ceil(items.length / 12));
  const short = (label: string) =>
    /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : label.length > 10 ? `${label.slice(0, 9)}…` : label;
  const idAttr = options.id ? ` id="${escapeXml(options.id)}"` : '';
  const scale = yScale(
    items.map((p) => p.value),
    h,
  );
  const slot = 1 / items.length;
  const bw = slot * 0.7;
  let labelled = 0;
  const bars = items
    .map((p, i) => {
      const x0 = i * slot + (slot - bw) / 2;
      const top = scale.y(Math.max(0, p.value));
      const height = Math.max(0.5, Math.abs(scale.y(p.value) - scale.y(0)));
      const label = i % every === 0 ? xLabel(x0 + bw / 2, short(p.label), h, labelled++ % 2 === 1, false) : '';
      return `<rect class="${p.value >= 0 ? 'pos' : 'neg'}" x="${pct(x0)}" y="${r1(top)}" width="${pct(bw)}" height="${r1(height)}"><title>${escapeXml(`${p.label}: ${exact(p.value)}`)}</title></rect>${label}`;
    })
    .join('\n');
  const svg = `<div class="svg-chart">${yAxis(scale, h, fmt)}<svg class="bars"${idAttr} width="100%" height="${h}" role="img" aria-label="${escapeXml(options.title)}" data-bars="${items.length}">
<title>${escapeXml(options.title)}</title>
${gridLines(scale)}${zeroLine(scale)}
${bars}
</svg></div>`;
  const key = percent
    ? [{ swatch: 'box pos', text: 'win rate' }]
    : [
        { swatch: 'box pos', text: 'gain' },
        { swatch: 'box neg', text: 'loss' },
      ];
  return `${svg}${legend(key)}`;
}

/** Running total of a series (equity curve from daily net P&L), to the cent. */
export function cumulative(points: readonly LinePoint[]): LinePoint[] {
  let cents = 0;
  return points.map((p) => {
    cents += Math.round(p.value * 100);
    return { label: p.label, value: cents / 100 };
  });
}

export interface HeatCell {
  iso: string;
  /** Row: 0 = Monday … 4 = Friday. */
  weekday: number;
  /** Column. */
  week: number;
  net?: number;
  positions?: number;
}

/**
 * A year of trading days as a heatmap: a column per week, Monday on top, green for a net gain and red for a loss
 * in four steps of the year's largest day (classes `g1`…`g4`, `l1`…`l4`; `flat` for a breakeven day, `none` for a
 * day without closed positions). A day with results links to its positions (`href`); each cell's title says the day,
 * its net and its positions.
 */
export function yearHeatmap(
  cells: readonly HeatCell[],
  options: {
    title: string;
    id?: string;
    months: readonly { label: string; week: number }[];
    maxAbs: number;
    href: (iso: string) => string;
    amount: (net: number) => string;
  },
): string {
  const size = 13;
  const gap = 3;
  const pad = { l: 30, t: 16 };
  const weeks = cells.reduce((n, c) => Math.max(n, c.week + 1), 0);
  const w = pad.l + weeks * (size + gap);
  const h = pad.t + 5 * (size + gap);
  const level = (net: number) => Math.min(4, Math.max(1, Math.ceil((Math.abs(net) / (options.maxAbs || 1)) * 4)));
  const rects = cells
    .map((c) => {
      const x = pad.l + c.week * (size + gap);
      const y = pad.t + c.weekday * (size + gap);
      if (c.net === undefined) {
        return `<rect class="heat none" x="${x}" y="${y}" width="${size}" height="${size}" rx="2" data-day="${c.iso}"><title>${c.iso}: no closed positions</title></rect>`;
      }
      const cls = c.net > 0 ? `g${level(c.net)}` : c.net < 0 ? `l${level(c.net)}` : 'flat';
      const title = `${c.iso}: ${options.amount(c.net)}, ${c.positions ?? 0} position${c.positions === 1 ? '' : 's'}`;
      return `<a href="${escapeXml(options.href(c.iso))}"><rect class="heat ${cls}" x="${x}" y="${y}" width="${size}" height="${size}" rx="2" data-day="${c.iso}" data-net="${c.net}"><title>${escapeXml(title)}</title></rect></a>`;
    })
    .join('\n');
  const monthLabels = options.months
    .map((m) => `<text x="${pad.l + m.week * (size + gap)}" y="${pad.t - 5}">${escapeXml(m.label)}</text>`)
    .join('');
  const dayLabels = ['Mon', 'Wed', 'Fri'].map((d, i) => `<text x="0" y="${pad.t + i * 2 * (size + gap) + size - 2}">${d}</text>`).join('');
  const idAttr = options.id ? ` id="${escapeXml(options.id)}"` : '';
  return `<svg class="heatmap"${idAttr} viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${escapeXml(options.title)}" data-days="${cells.filter((c) => c.net !== undefined).length}">
<title>${escapeXml(options.title)}</title>
${monthLabels}${dayLabels}
${rects}
</svg>`;
}
