/**
 * Small charts drawn on the server as SVG: no script, no inline style (the CSP forbids both), readable without
 * JavaScript. Colours come from classes in app.css. Every label is escaped.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const money = (n: number) => {
  const abs = Math.abs(n);
  const s = abs >= 10000 ? `${(abs / 1000).toFixed(1)}k` : abs.toFixed(0);
  return `${n < 0 ? '-' : ''}$${s}`;
};

const r1 = (n: number) => Math.round(n * 10) / 10;

/** A vertical scale that always shows zero: the value range and value → y within [top, bottom]. */
function verticalScale(values: readonly number[], top: number, bottom: number): { min: number; max: number; y: (v: number) => number } {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  return { min, max, y: (v: number) => top + ((max - v) * (bottom - top)) / span };
}

export interface LinePoint {
  label: string;
  value: number;
}

/** A cumulative curve (equity) with a zero line and the first/last labels. */
export function lineChart(points: readonly LinePoint[], options: { width?: number; height?: number; title: string; id?: string }): string {
  const w = options.width ?? 900;
  const h = options.height ?? 220;
  const pad = { l: 56, r: 12, t: 12, b: 24 };
  const idAttr = options.id ? ` id="${escapeXml(options.id)}"` : '';
  if (points.length === 0) return '';
  const { min, max, y } = verticalScale(
    points.map((p) => p.value),
    pad.t,
    h - pad.b,
  );
  const x = (i: number) => pad.l + (points.length === 1 ? (w - pad.l - pad.r) / 2 : (i * (w - pad.l - pad.r)) / (points.length - 1));
  const coords = points.map((p, i) => `${r1(x(i))},${r1(y(p.value))}`).join(' ');
  const area = `${r1(x(0))},${r1(y(0))} ${coords} ${r1(x(points.length - 1))},${r1(y(0))}`;
  const first = points[0] as LinePoint;
  const last = points[points.length - 1] as LinePoint;
  return `<svg class="line"${idAttr} viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${escapeXml(options.title)}" data-points="${points.length}">
<title>${escapeXml(options.title)}</title>
<polygon class="area" points="${area}"/>
<line class="zero" x1="${pad.l}" x2="${w - pad.r}" y1="${r1(y(0))}" y2="${r1(y(0))}"/>
<polyline class="stroke" points="${coords}"/>
<text x="${pad.l - 6}" y="${r1(y(max)) + 4}" text-anchor="end">${escapeXml(money(max))}</text>
<text x="${pad.l - 6}" y="${r1(y(min)) + 4}" text-anchor="end">${escapeXml(money(min))}</text>
<text x="${pad.l}" y="${h - 6}">${escapeXml(first.label)}</text>
<text x="${w - pad.r}" y="${h - 6}" text-anchor="end">${escapeXml(last.label)}</text>
</svg>`;
}

/** Vertical bars around a zero line, green above and red below. */
export function barChart(
  items: readonly LinePoint[],
  options: { width?: number; height?: number; title: string; id?: string; unit?: 'money' | 'percent' },
): string {
  const fmt = options.unit === 'percent' ? (n: number) => `${n.toFixed(0)}%` : money;
  const w = options.width ?? 900;
  const h = options.height ?? 220;
  const pad = { l: 56, r: 12, t: 12, b: 30 };
  // At most about a dozen labels; dates shortened to MM-DD.
  const every = Math.max(1, Math.ceil(items.length / 12));
  const short = (label: string) =>
    /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : label.length > 10 ? `${label.slice(0, 9)}…` : label;
  const idAttr = options.id ? ` id="${escapeXml(options.id)}"` : '';
  if (items.length === 0) return '';
  const { min, max, y } = verticalScale(
    items.map((p) => p.value),
    pad.t,
    h - pad.b,
  );
  const slot = (w - pad.l - pad.r) / items.length;
  const bw = Math.max(1, slot * 0.7);
  const bars = items
    .map((p, i) => {
      const x0 = pad.l + i * slot + (slot - bw) / 2;
      const top = y(Math.max(0, p.value));
      const height = Math.max(0.5, Math.abs(y(p.value) - y(0)));
      const label =
        i % every === 0 ? `<text x="${r1(x0 + bw / 2)}" y="${h - 12}" text-anchor="middle">${escapeXml(short(p.label))}</text>` : '';
      return `<rect class="${p.value >= 0 ? 'pos' : 'neg'}" x="${r1(x0)}" y="${r1(top)}" width="${r1(bw)}" height="${r1(height)}"><title>${escapeXml(`${p.label}: ${fmt(p.value)}`)}</title></rect>${label}`;
    })
    .join('\n');
  return `<svg class="bars"${idAttr} viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${escapeXml(options.title)}" data-bars="${items.length}">
<title>${escapeXml(options.title)}</title>
<line class="zero" x1="${pad.l}" x2="${w - pad.r}" y1="${r1(y(0))}" y2="${r1(y(0))}"/>
${bars}
<text x="${pad.l - 6}" y="${r1(y(max)) + 4}" text-anchor="end">${escapeXml(fmt(max))}</text>
<text x="${pad.l - 6}" y="${r1(y(min)) + 4}" text-anchor="end">${escapeXml(fmt(min))}</text>
</svg>`;
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
