/**
 * One error type for the whole program. Every code is stable, greppable and listed in docs/errors.md as
 * code | meaning | how to fix (a test keeps the two in step).
 *
 * Codes follow TL_<AREA>_<WHAT>. `status` is the HTTP status the web layer answers with; the CLI maps an
 * AppError to exit code 2 unless the caller says otherwise.
 */
export type ErrorCode = `TL_${string}`;

export interface AppErrorOptions {
  /** HTTP status; 500 when omitted. */
  status?: number;
  /** What the user should do about it. Always a concrete action, never "contact support". */
  remedy: string;
  /** Structured context: paths, uids, SQLite codes, line numbers. Shown in JSON output, logged. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly remedy: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.remedy = options.remedy;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; remedy: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      remedy: this.remedy,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** SQLite's extended result code (e.g. SQLITE_IOERR_SHMMAP) when `err` came from better-sqlite3. */
export function sqliteCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** A node system error code (EACCES, ENOSPC, ...) when `err` carries one. */
export function systemCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
