import crypto from 'node:crypto';
import net from 'node:net';
import type { Clock } from '../clock.js';

/**
 * Sign-in state of the web app, held in this process's memory: a restart signs everybody out (and so does changing
 * the token, which needs a restart).
 *
 * - Sessions: every sign-in gets its own random id (256 bits), the only thing the cookie carries; signing out
 *   deletes it here, so a copied cookie stops working. They last 30 days; at most MAX_SESSIONS live at once (the
 *   oldest goes first).
 * - Sign-in throttle: a token bucket per client (IPv4 address, or the /64 of an IPv6 address): SIGN_IN_BURST wrong
 *   tokens in a row, then one more every SIGN_IN_REFILL_MS. Only wrong tokens take from it.
 */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export const MAX_SESSIONS = 1000;
export const SIGN_IN_BURST = 10;
export const SIGN_IN_REFILL_MS = 6000;
/** Clients tracked by the throttle at once; beyond it, the ones that are back to a full bucket are forgotten first. */
const MAX_CLIENTS = 10_000;

export class SessionStore {
  /** id → expiry (epoch ms); Map order is creation order. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** A new session id, valid for SESSION_TTL_MS. */
  create(): string {
    const id = crypto.randomBytes(32).toString('base64url');
    this.sessions.set(id, this.clock.now() + SESSION_TTL_MS);
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return id;
  }

  /** Whether `id` is a live session (an expired one is deleted). */
  valid(id: string | undefined): boolean {
    if (!id) return false;
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.clock.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  revoke(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The throttle's key for a client address: IPv4 as is, IPv6 by its /64 (one host usually owns a whole /64). */
export function clientKey(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4) return v4;
  if (!net.isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class SignInThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly burst = SIGN_IN_BURST,
    private readonly refillMs = SIGN_IN_REFILL_MS,
  ) {}

  private bucket(key: string): Bucket {
    const now = this.clock.now();
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.refillMs);
    return { tokens, at: now };
  }

  /** Seconds until `ip` may try again, or 0 when it may try now. */
  retryAfter(ip: string): number {
    const b = this.bucket(clientKey(ip));
    return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - b.tokens) * this.refillMs) / 1000));
  }

  /** Records a wrong token from `ip`. */
  failed(ip: string): void {
    const key = clientKey(ip);
    const b = this.bucket(key);
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: Math.max(0, b.tokens - 1), at: b.at });
    if (this.buckets.size > MAX_CLIENTS) this.forget();
  }

  /** Drops clients whose bucket is full again, then (if still too many) the least recently seen. */
  private forget(): void {
    for (const [key] of this.buckets) if (this.bucket(key).tokens >= this.burst) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= MAX_CLIENTS) break;
      this.buckets.delete(key);
    }
  }
}
