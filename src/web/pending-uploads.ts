import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';

/**
 * Uploaded files between their preview and its confirmation, in memory (never written to disk under a name the
 * browser chose). Every upload is counted from the moment it is received, while its preview is prepared too, and
 * the limits are checked with it included: the bytes held in all (`maxBytes`) and the rows its preview read
 * (`maxRows`, checked when the preview is ready). To make room, previews already shown are dropped, oldest first
 * (confirming one then says it expired); an upload being previewed is never dropped, since its request still holds
 * the bytes. An upload that does not fit even so is refused: TL_WEB_UPLOAD_TOO_LARGE when it alone exceeds the
 * limit, TL_WEB_UPLOAD_BUSY when the previews being prepared hold the rest.
 */
export interface PendingFile {
  name: string;
  content: Buffer;
  sha256: string;
}

/** How the files of an upload are read (the import page's format, date order and account fields). */
export interface PendingReadOptions {
  format?: string;
  dateOrder?: 'mdy' | 'dmy';
  account?: string;
}

export interface PendingUpload {
  files: PendingFile[];
  skipInvalid: boolean;
  read: PendingReadOptions;
  createdAt: number;
  bytes: number;
  rows: number;
  ready: boolean;
}

export interface PendingLimits {
  maxBytes: number;
  maxRows: number;
  ttlMs: number;
}

export const PENDING_LIMITS: PendingLimits = { maxBytes: 256 * 1024 * 1024, maxRows: 4_000_000, ttlMs: 30 * 60 * 1000 };

const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024))} MB`;

export class PendingUploads {
  private readonly entries = new Map<string, PendingUpload>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: PendingLimits = PENDING_LIMITS,
  ) {}

  get bytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Hold an upload while its preview is prepared; its token, or an AppError when it does not fit. */
  add(files: PendingFile[], skipInvalid: boolean, read: PendingReadOptions = {}): string {
    const token = crypto.randomBytes(18).toString('base64url');
    const bytes = files.reduce((n, f) => n + f.content.length, 0);
    this.entries.set(token, { files, skipInvalid, read, createdAt: this.clock.now(), bytes, rows: 0, ready: false });
    this.enforce(token);
    return token;
  }

  /** The preview is shown: the upload can be confirmed from now on, and its rows count. */
  ready(token: string, rows: number): void {
    const e = this.entries.get(token);
    if (!e) return;
    e.ready = true;
    e.rows = rows;
    this.enforce(token);
  }

  /** Take a previewed upload to confirm it (once); undefined when it expired, was dropped or confirmed already. */
  take(token: string): PendingUpload | undefined {
    this.dropExpired();
    const e = this.entries.get(token);
    if (!e?.ready) return undefined;
    this.entries.delete(token);
    return e;
  }

  /** Forget an upload (its preview failed). */
  release(token: string): void {
    this.entries.delete(token);
  }

  private dropExpired(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (e.ready && now - e.createdAt > this.limits.ttlMs) this.entries.delete(k);
  }

  /** After `token` was added or grew: drop expired and then the oldest shown previews until all fit, or refuse it. */
  private enforce(token: string): void {
    this.dropExpired();
    const total = () => {
      let bytes = 0;
      let rows = 0;
      for (const e of this.entries.values()) {
        bytes += e.bytes;
        rows += e.rows;
      }
      return { bytes, rows };
    };
    const fits = () => {
      const t = total();
      return t.bytes <= this.limits.maxBytes && t.rows <= this.limits.maxRows;
    };
    for (const [k, e] of this.entries) {
      if (fits()) return;
      if (k !== token && e.ready) this.entries.delete(k);
    }
    if (fits()) return;
    const mine = this.entries.get(token) as PendingUpload;
    this.entries.delete(token);
    if (mine.bytes > this.limits.maxBytes || mine.rows > this.limits.maxRows) {
      throw new AppError(
        'TL_WEB_UPLOAD_TOO_LARGE',
        `The upload holds ${mb(mine.bytes)}; at most ${mb(this.limits.maxBytes)} are taken in all.`,
        {
          remedy: 'Upload fewer files at a time (split bigger exports by date). Nothing was stored.',
          details: { bytes: mine.bytes, rows: mine.rows, maxBytes: this.limits.maxBytes, maxRows: this.limits.maxRows },
        },
      );
    }
    const held = total();
    throw new AppError(
      'TL_WEB_UPLOAD_BUSY',
      `Other uploads are being previewed and hold ${mb(held.bytes)} of the ${mb(this.limits.maxBytes)} kept for uploads; this one (${mb(mine.bytes)}) does not fit.`,
      {
        remedy: 'Wait until the other previews are shown, then upload again. Nothing was stored.',
        details: { bytes: mine.bytes, heldBytes: held.bytes, maxBytes: this.limits.maxBytes },
      },
    );
  }
}

/**
 * At most `size` uploads received and previewed at once; the others wait, unread, for their turn (the connection
 * holds their bytes back: Node stops reading a request nobody consumes). Twenty 12 MB uploads posted together are
 * then taken two by two instead of 250 MB arriving at once, which kept the event loop busy (and its garbage
 * collector) for seconds on a loaded machine; the worker previews one file at a time anyway.
 */
export class UploadSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Wait for a slot; the function gives it back (once, whatever calls it). */
  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }

  get queued(): number {
    return this.waiting.length;
  }
}
