import fs from 'node:fs';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { errorMessage, systemCode } from './errors.js';

/**
 * Logging that can never crash or hang the process (storage-reliability.md rows 24–25, §(c) "Logging fallback").
 *
 * - stdout (or stderr for CLI commands, so `--json` output stays clean) by default;
 * - a file only when TRADELOG_LOG_FILE is set, after a pre-flight `open(path, 'a')` and a W_OK check of its dir;
 * - every write is a synchronous `fs.writeSync` inside try/catch: EACCES, ENOSPC, EFBIG or a file that became
 *   root-owned switch the logger to the console and record why, instead of throwing from `logger.info()` or
 *   emitting an unhandled 'error' (what pino's async destinations and worker transports do);
 * - size-based rotation (app.log → app.1.log … app.N.log) done in the same synchronous path.
 *
 * Written here rather than with pino-roll: pino-roll runs in a worker whose errors are fatal and unrecoverable
 * (pino PR #2116), drops every line after a failure, and rotates lazily past its limit. A synchronous
 * destination keeps the guarantees simple and testable; a journal logs a few lines per request at most.
 */
export interface LogFileStatus {
  requested: string | undefined;
  /** The file logs are going to right now, or undefined when only the console is used. */
  active: string | undefined;
  /** Why file logging is off or stopped (with the system error code), if it is. */
  problem?: { code: string; message: string; at: string };
}

export interface LogOptions {
  level?: string;
  file?: string | undefined;
  /** 1 = stdout (server), 2 = stderr (CLI commands); any open descriptor in tests. */
  consoleFd?: number;
  /** Rotate when the file passes this size. */
  maxBytes?: number;
  /** Rotated files kept beside the live one. */
  keep?: number;
}

export interface AppLogger {
  logger: Logger;
  status(): LogFileStatus;
  /** Flushes nothing (all writes are synchronous); closes the file descriptor. Never throws. */
  close(): void;
}

class SafeDestination {
  private fd: number | undefined;
  private bytes = 0;
  readonly state: LogFileStatus;

  constructor(
    private readonly consoleFd: number,
    file: string | undefined,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.state = { requested: file, active: undefined };
    if (file) this.openFile(file);
  }

  private openFile(file: string): void {
    const problem = preflightLogFile(file);
    if (problem) {
      this.fail(problem.code, problem.message);
      return;
    }
    try {
      this.fd = fs.openSync(file, 'a', 0o640);
      this.bytes = fs.fstatSync(this.fd).size;
      this.state.active = file;
    } catch (err) {
      this.fail(systemCode(err) ?? 'EUNKNOWN', errorMessage(err));
    }
  }

  private fail(code: string, message: string): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already unusable
      }
    }
    this.fd = undefined;
    this.state.active = undefined;
    this.state.problem = { code, message, at: new Date().toISOString() };
    const note = `${JSON.stringify({
      level: 40,
      time: Date.now(),
      msg: `File logging disabled: ${this.state.requested} is not writable (${code}: ${message}); logging to the console.`,
      code,
    })}\n`;
    writeConsole(this.consoleFd, note);
  }

  write(line: string): void {
    if (this.fd !== undefined && this.state.active) {
      try {
        const size = Buffer.byteLength(line);
        if (this.bytes + size > this.maxBytes && this.bytes > 0) this.rotate(this.state.active);
        if (this.fd !== undefined) {
          fs.writeSync(this.fd, line);
          this.bytes += size;
          return;
        }
      } catch (err) {
        this.fail(systemCode(err) ?? 'EUNKNOWN', errorMessage(err));
      }
    }
    writeConsole(this.consoleFd, line);
  }

  private rotate(file: string): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${file.replace(/\.log$/, '')}.${i}.log`;
      const to = `${file.replace(/\.log$/, '')}.${i + 1}.log`;
      if (fs.existsSync(from)) fs.renameSync(from, to);
    }
    if (this.keep > 0) fs.renameSync(file, `${file.replace(/\.log$/, '')}.1.log`);
    else fs.truncateSync(file, 0);
    this.fd = fs.openSync(file, 'a', 0o640);
    this.bytes = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // nothing to do
    }
    this.fd = undefined;
  }
}

function writeConsole(fd: number, line: string): void {
  // A closed or full pipe must not take the process down; losing a console line is the lesser evil.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeSync(fd, line);
      return;
    } catch (err) {
      if (systemCode(err) !== 'EAGAIN') return;
    }
  }
}

/**
 * Can `file` be appended to by this process? Returns the problem (system code and message naming the owner and
 * mode seen) or undefined. Used at start-up and by `tradelog doctor`.
 */
export function preflightLogFile(file: string): { code: string; message: string } | undefined {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (err) {
    return { code: systemCode(err) ?? 'EUNKNOWN', message: `cannot create ${dir}: ${errorMessage(err)}` };
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    return { code: systemCode(err) ?? 'EACCES', message: `directory ${dir} ${describeOwner(dir)} is not writable` };
  }
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'a', 0o640);
  } catch (err) {
    return { code: systemCode(err) ?? 'EUNKNOWN', message: `cannot append to ${file} ${describeOwner(file)}` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return undefined;
}

export function describeOwner(p: string): string {
  try {
    const st = fs.statSync(p);
    return `(owner uid ${st.uid}, gid ${st.gid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; this process runs as uid ${process.getuid?.() ?? '?'})`;
  } catch {
    return '';
  }
}

export function createLogger(options: LogOptions = {}): AppLogger {
  const dest = new SafeDestination(options.consoleFd ?? 1, options.file, options.maxBytes ?? 10 * 1024 * 1024, options.keep ?? 5);
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: ['authToken', '*.authToken', 'req.headers.authorization', 'req.headers.cookie'], censor: '****' },
    },
    { write: (line: string) => dest.write(line) },
  );
  return { logger, status: () => ({ ...dest.state }), close: () => dest.close() };
}

/** A logger that discards everything (tests, library callers that do not log). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
