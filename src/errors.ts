/**
 * One error type for the whole program. Every code is stable, greppable and listed in docs/errors.md as
 * code | meaning | how to fix (a test keeps the two in step).
 *
 * Codes follow TL_<AREA>_<WHAT> and are the keys of ERROR_CATALOGUE. `status` is the HTTP status the web layer
 * answers with (the catalogue's, unless a use overrides it); the CLI maps an AppError to exit code 2 unless the
 * caller says otherwise.
 */
type Section = 'general' | 'storage' | 'instruments' | 'trades' | 'market' | 'web' | 'docker';

/**
 * Every error code tradelog reports, with the HTTP status the web layer answers it with and the section of
 * docs/errors.md that explains it. Doctor findings and repair actions use codes from here too. A code is added
 * here and to docs/errors.md in the same change (test/errors-doc.test.ts compares the two).
 */
export const ERROR_CATALOGUE = {
  TL_CONFIG_INVALID: { status: 400, section: 'general' },
  TL_INTERNAL: { status: 500, section: 'general' },
  TL_CLI_USAGE: { status: 400, section: 'general' },
  TL_CLI_CONFIRM: { status: 400, section: 'general' },
  TL_SETTINGS_INVALID: { status: 400, section: 'general' },
  TL_DB_DIR_NOT_WRITABLE: { status: 503, section: 'storage' },
  TL_DB_READONLY: { status: 503, section: 'storage' },
  TL_DB_DISK_FULL: { status: 503, section: 'storage' },
  TL_DB_NO_SHARED_MEMORY: { status: 503, section: 'storage' },
  TL_DB_BUSY: { status: 503, section: 'storage' },
  TL_DB_CORRUPT: { status: 503, section: 'storage' },
  TL_DB_CANTOPEN: { status: 503, section: 'storage' },
  TL_DB_IO_ERROR: { status: 503, section: 'storage' },
  TL_DB_MISSING: { status: 503, section: 'storage' },
  TL_DB_IN_USE: { status: 503, section: 'storage' },
  TL_DB_TOO_NEW: { status: 503, section: 'storage' },
  TL_DB_MIGRATION_FAILED: { status: 503, section: 'storage' },
  TL_BACKUP_FAILED: { status: 500, section: 'storage' },
  TL_BACKUP_VERIFY_FAILED: { status: 500, section: 'storage' },
  TL_BACKUP_NOT_FOUND: { status: 404, section: 'storage' },
  TL_BACKUP_UNKNOWN_FILE: { status: 400, section: 'storage' },
  TL_BACKUP_RESTORE_FAILED: { status: 500, section: 'storage' },
  TL_DB_FOREIGN_OWNER: { status: 503, section: 'storage' },
  TL_DB_MODE_TOO_OPEN: { status: 503, section: 'storage' },
  TL_DB_RECOVERY_PENDING: { status: 503, section: 'storage' },
  TL_DB_STRAY_SIDECAR: { status: 503, section: 'storage' },
  TL_DB_DISK_LOW: { status: 503, section: 'storage' },
  TL_DB_RISKY_FILESYSTEM: { status: 503, section: 'storage' },
  TL_DB_MIGRATIONS_PENDING: { status: 503, section: 'storage' },
  TL_DB_FOREIGN_KEY_VIOLATION: { status: 503, section: 'storage' },
  TL_LOG_FILE_UNWRITABLE: { status: 503, section: 'storage' },
  TL_REPAIR_CHOWN: { status: 503, section: 'storage' },
  TL_REPAIR_CHMOD: { status: 503, section: 'storage' },
  TL_REPAIR_QUARANTINE: { status: 503, section: 'storage' },
  TL_REPAIR_SNAPSHOT: { status: 503, section: 'storage' },
  TL_REPAIR_CHECKPOINT: { status: 503, section: 'storage' },
  TL_REPAIR_CONVERT_JOURNAL: { status: 503, section: 'storage' },
  TL_BACKUP_DIR_NOT_WRITABLE: { status: 503, section: 'storage' },
  TL_INSTRUMENT_BAD_NAME: { status: 400, section: 'instruments' },
  TL_INSTRUMENT_UNKNOWN: { status: 422, section: 'instruments' },
  TL_INSTRUMENT_BAD_OVERRIDE: { status: 400, section: 'instruments' },
  TL_INSTRUMENT_IN_USE: { status: 409, section: 'instruments' },
  TL_IMPORT_UNREADABLE: { status: 400, section: 'trades' },
  TL_IMPORT_CHANGED: { status: 409, section: 'trades' },
  TL_IMPORT_NOT_FOUND: { status: 404, section: 'trades' },
  TL_IMPORT_NOT_UNDOABLE: { status: 409, section: 'trades' },
  TL_IMPORT_TOO_MANY_ROWS: { status: 413, section: 'trades' },
  TL_IMPORT_INTERRUPTED: { status: 503, section: 'trades' },
  TL_POSITION_NOT_FOUND: { status: 404, section: 'trades' },
  TL_JOURNAL_BAD_INPUT: { status: 400, section: 'trades' },
  TL_TRADES_BAD_FILTER: { status: 400, section: 'trades' },
  TL_LEGACY_NOT_FOUND: { status: 400, section: 'trades' },
  TL_LEGACY_UNREADABLE: { status: 400, section: 'trades' },
  TL_LEGACY_NOT_RECOGNIZED: { status: 400, section: 'trades' },
  TL_IMPORT_UNKNOWN_FORMAT: { status: 422, section: 'trades' },
  TL_IMPORT_AMBIGUOUS_FORMAT: { status: 422, section: 'trades' },
  TL_IMPORT_BAD_FORMAT_NAME: { status: 400, section: 'trades' },
  TL_IMPORT_BAD_MAPPING: { status: 400, section: 'trades' },
  TL_EXPORT_UNREADABLE: { status: 400, section: 'trades' },
  TL_EXPORT_INVALID: { status: 400, section: 'trades' },
  TL_EXPORT_VERSION: { status: 422, section: 'trades' },
  TL_EXPORT_NOT_EMPTY: { status: 409, section: 'trades' },
  TL_EXPORT_MISMATCH: { status: 422, section: 'trades' },
  TL_EXPORT_CHANGED: { status: 409, section: 'trades' },
  TL_EXPORT_WRITE_FAILED: { status: 500, section: 'trades' },
  TL_ACCOUNT_NOT_FOUND: { status: 404, section: 'trades' },
  TL_ACCOUNT_BAD_INPUT: { status: 400, section: 'trades' },
  TL_ACCOUNT_CONFLICT: { status: 409, section: 'trades' },
  TL_FEES_BAD_INPUT: { status: 400, section: 'trades' },
  TL_FEES_NOT_FOUND: { status: 404, section: 'trades' },
  TL_ORDERS_NONE: { status: 422, section: 'trades' },
  TL_ORDERS_BAD_ROW: { status: 400, section: 'trades' },
  TL_MARKET_RATE_LIMITED: { status: 429, section: 'market' },
  TL_MARKET_SYMBOL_NOT_FOUND: { status: 404, section: 'market' },
  TL_MARKET_RANGE_NOT_ALLOWED: { status: 422, section: 'market' },
  TL_MARKET_BAD_RESPONSE: { status: 502, section: 'market' },
  TL_MARKET_TRANSIENT: { status: 503, section: 'market' },
  TL_MARKET_CANCELLED: { status: 503, section: 'market' },
  TL_MARKET_BAD_TIMEFRAME: { status: 400, section: 'market' },
  TL_MARKET_BAD_INSTRUMENT: { status: 400, section: 'market' },
  TL_MARKET_BAD_RANGE: { status: 400, section: 'market' },
  TL_MARKET_FILE_FORMAT: { status: 400, section: 'market' },
  TL_MARKET_FILE_UNREADABLE: { status: 400, section: 'market' },
  TL_MARKET_DERIVED_TIMEFRAME: { status: 400, section: 'market' },
  TL_MARKET_JOB_NOT_FOUND: { status: 404, section: 'market' },
  TL_WEB_TOKEN_REQUIRED: { status: 500, section: 'web' },
  TL_WEB_LISTEN: { status: 500, section: 'web' },
  TL_WEB_ALREADY_RUNNING: { status: 409, section: 'web' },
  TL_WEB_UNAUTHORIZED: { status: 401, section: 'web' },
  TL_WEB_CSRF: { status: 403, section: 'web' },
  TL_WEB_BAD_REQUEST: { status: 400, section: 'web' },
  TL_WEB_NOT_FOUND: { status: 404, section: 'web' },
  TL_WEB_UPLOAD_TOO_LARGE: { status: 413, section: 'web' },
  TL_WEB_UPLOAD_EXPIRED: { status: 410, section: 'web' },
  TL_WEB_UPLOAD_BUSY: { status: 503, section: 'web' },
  TL_WEB_HOST_REFUSED: { status: 421, section: 'web' },
  TL_WEB_THROTTLED: { status: 429, section: 'web' },
  TL_WEB_BODY_TOO_LARGE: { status: 413, section: 'web' },
  TL_DEMO_NOT_EMPTY: { status: 409, section: 'web' },
  TL_DEMO_FAILED: { status: 500, section: 'web' },
  TL_WEB_UNAVAILABLE: { status: 503, section: 'web' },
  TL_WEB_HTTP: { status: 500, section: 'web' },
  TL_DOCKER_CHOWN_FAILED: { status: 500, section: 'docker' },
  TL_DOCKER_BAD_ID: { status: 500, section: 'docker' },
  TL_DOCKER_NO_DATA_DIR: { status: 500, section: 'docker' },
  TL_DOCKER_NO_SETPRIV: { status: 500, section: 'docker' },
  TL_DOCKER_APP_MISSING: { status: 500, section: 'docker' },
  TL_DOCKER_PUID_IGNORED: { status: 500, section: 'docker' },
  TL_DOCKER_DOCTOR_PROBLEMS: { status: 500, section: 'docker' },
  TL_DOCKER_CHMOD_FAILED: { status: 500, section: 'docker' },
} as const satisfies Record<`TL_${string}`, { status: number; section: Section }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface AppErrorOptions {
  /** HTTP status when this use differs from the catalogue's (e.g. 415 for a bad request's media type). */
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
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
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
