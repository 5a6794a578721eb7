import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { utcOffsetLabel } from '../calendar/zone.js';
import { formatBytes } from '../db/fs-info.js';
import type { AppError } from '../errors.js';
import { formatPrice } from '../instruments/prices.js';
import { CSRF_FIELD } from './security.js';

/**
 * Server-rendered pages: eta templates in src/web/views with one layout. Every value is escaped (`<%= %>`);
 * raw output (`<%~ %>`) is used only for markup built here or by another template. Numbers are formatted here so
 * templates never do arithmetic with money.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

/** views/ and public/ sit beside this file in the sources; a compiled build (dist/) looks back into src/. */
export function assetDir(name: 'views' | 'public'): string {
  const beside = path.join(here, name);
  if (fs.existsSync(beside)) return beside;
  return path.resolve(here, '..', '..', 'src', 'web', name);
}

export const NAV = [
  { href: '/', label: 'Dashboard' },
  { href: '/positions', label: 'Positions' },
  { href: '/charts', label: 'Charts' },
  { href: '/statistics', label: 'Statistics' },
  { href: '/import', label: 'Import' },
  { href: '/settings', label: 'Settings' },
  { href: '/status', label: 'Status' },
] as const;

// Made on first use: the first Intl.NumberFormat of a process loads ICU's number data, which /health never needs
// (serve's warm-up makes them after the first answer: numberFormats).
let formats: { money: Intl.NumberFormat; int: Intl.NumberFormat } | undefined;
export function numberFormats(): { money: Intl.NumberFormat; int: Intl.NumberFormat } {
  formats ??= {
    money: new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    int: new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }),
  };
  return formats;
}

/** +$1,234.50 for gains, -$12.00 for losses (signs make P&L columns scannable); '' for null. */
export function pnlText(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const s = numberFormats().money.format(Math.round(n * 100) / 100);
  return n > 0 ? `+${s}` : s;
}

/**
 * Formatting helpers available to every template as `it.f`. Times are written in `zone` (the display zone);
 * `nowMs` (the app's clock) gives the zone's offset named on the page.
 */
export function formatters(zone: string, nowMs: number) {
  const toDt = (v: number | string | null | undefined): DateTime | undefined => {
    if (v === null || v === undefined || v === '') return undefined;
    const dt = typeof v === 'number' ? DateTime.fromMillis(v) : DateTime.fromISO(v);
    return dt.isValid ? dt.setZone(zone) : undefined;
  };
  return {
    zone,
    /** The zone with its offset now: `Asia/Tokyo (UTC+09:00)`. */
    zoneLabel: `${zone} (${utcOffsetLabel(zone, nowMs)})`,
    /** $1,234.50 / -$12.00; '' for null. */
    money(n: number | null | undefined): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return '';
      return numberFormats().money.format(Math.round(n * 100) / 100);
    },
    /** +$1,234.50 for gains (signs make P&L columns scannable). */
    pnl: pnlText,
    /**
     * P&L in at most 6 characters, for tight places (calendar days): +$4.55, -$69, +$1.2k, -$12k, +$1.3M. Pages
     * put the exact amount beside it (a title); nothing is ever cut to fit.
     */
    compactPnl(n: number | null | undefined): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return '';
      const abs = Math.abs(Math.round(n * 100) / 100);
      const sign = abs === 0 ? '' : n > 0 ? '+' : '-';
      return `${sign}$${compactAbs(abs)}`;
    },
    /** CSS class for a P&L value. */
    sign(n: number | null | undefined): string {
      if (n === null || n === undefined || !Number.isFinite(n) || n === 0) return 'flat';
      return n > 0 ? 'gain' : 'loss';
    },
    int(n: number | null | undefined): string {
      return n === null || n === undefined || !Number.isFinite(n) ? '' : numberFormats().int.format(n);
    },
    /**
     * A price (or points) to the instrument's tick: 6008.25 for MNQ; an average between ticks with two more decimals
     * and "≈" (≈6008.8333). src/instruments/prices.ts.
     */
    price(n: number | null | undefined, tickSize?: number): string {
      return formatPrice(n, tickSize);
    },
    num(n: number | null | undefined, digits = 2): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return '';
      return n.toFixed(digits);
    },
    pct(n: number | null | undefined, digits = 1): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return '';
      return `${(n * 100).toFixed(digits)}%`;
    },
    /** Profit factor: ∞ when there were no losses. */
    ratio(n: number | null | undefined): string {
      if (n === null || n === undefined || Number.isNaN(n)) return '–';
      if (!Number.isFinite(n)) return '∞';
      return n.toFixed(2);
    },
    dateTime(v: number | string | null | undefined): string {
      return toDt(v)?.toFormat('yyyy-LL-dd HH:mm:ss') ?? '';
    },
    date(v: number | string | null | undefined): string {
      return toDt(v)?.toFormat('yyyy-LL-dd') ?? '';
    },
    /** For <input type="date">. */
    isoDate(v: number | string | null | undefined): string {
      return toDt(v)?.toISODate() ?? '';
    },
    bytes(n: number | null | undefined): string {
      return n === null || n === undefined || !Number.isFinite(n) ? '' : formatBytes(n);
    },
    duration(ms: number | null | undefined): string {
      if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
      const s = Math.round(ms / 1000);
      if (s < 60) return `${s}s`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m}m ${s % 60}s`;
      const h = Math.floor(m / 60);
      if (h < 48) return `${h}h ${m % 60}m`;
      return `${Math.floor(h / 24)}d ${h % 24}h`;
    },
    /** Query string from an object, skipping empty values. */
    qs(params: Record<string, unknown>): string {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
      const s = u.toString();
      return s ? `?${s}` : '';
    },
  };
}
export type Formatters = ReturnType<typeof formatters>;

/** A non-negative amount in at most 4 characters: 4.55, 69, 1.2k, 12k, 999k, 1.3M, 12M. */
export function compactAbs(abs: number): string {
  if (abs < 9.995) return abs.toFixed(2);
  if (abs < 999.5) return abs.toFixed(0);
  if (abs < 9950) return `${(abs / 1000).toFixed(1)}k`;
  if (abs < 999_500) return `${Math.round(abs / 1000)}k`;
  if (abs < 9_950_000) return `${(abs / 1_000_000).toFixed(1)}M`;
  return `${Math.round(abs / 1_000_000)}M`;
}

export function tickDecimals(tickSize: number | undefined): number {
  if (!tickSize || !Number.isFinite(tickSize)) return 2;
  for (let d = 0; d <= 8; d++) {
    const scaled = tickSize * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9) return Math.max(d, 2);
  }
  return 8;
}

export interface PageContext {
  /** Reason writes are refused, shown as a banner on every page. */
  writeRefusal: () => AppError | undefined;
  /** The display zone every time on a page is written in. */
  zone: () => string;
  /** Now (the app's clock). */
  now: () => number;
  authEnabled: boolean;
}

export type Render = (
  reply: FastifyReply,
  req: FastifyRequest,
  view: string,
  data: Record<string, unknown>,
  status?: number,
) => FastifyReply;

/** A short fingerprint of public/ (names, sizes, times): asset URLs carry it, so a new version is never served from a stale cache. */
export function assetVersion(): string {
  const h = crypto.createHash('sha1');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        h.update(`${e.name}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  walk(assetDir('public'));
  return h.digest('base64url').slice(0, 10);
}

export function createRenderer(ctx: PageContext): {
  render: Render;
  renderString: (view: string, data: Record<string, unknown>) => string;
} {
  const eta = new Eta({ views: assetDir('views'), cache: true, autoTrim: [false, 'nl'] });
  const v = assetVersion();
  const renderString = (view: string, data: Record<string, unknown>) => eta.render(view, data);
  const render: Render = (reply, req, view, data, status = 200) => {
    const url = req.url.split('?')[0] ?? '/';
    const active = NAV.filter((n) => (n.href === '/' ? url === '/' : url === n.href || url.startsWith(`${n.href}/`))).map((n) => n.href)[0];
    const html = eta.render(view, {
      nav: NAV,
      active,
      csrf: req.csrfToken,
      csrfField: CSRF_FIELD,
      banner: ctx.writeRefusal(),
      authEnabled: ctx.authEnabled,
      f: formatters(ctx.zone(), ctx.now()),
      v,
      ...data,
    });
    return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  };
  return { render, renderString };
}

/** JSON for a `<script type="application/json">` block: `<` is escaped so no value can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
