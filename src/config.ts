import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as z from 'zod';
import { AppError } from './errors.js';

/**
 * One validated configuration. Precedence (the storage-core issue): environment `TRADELOG_*` > command-line flags >
 * defaults; a flag that an environment variable overrides is reported (`flagsOverriddenByEnv`), never ignored
 * silently. Every key is listed once here with its variable name, so `tradelog` can print what it runs with and
 * docs/operations.md can list them.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

let canonicalZones: Set<string> | undefined;

function isValidZone(zone: string): boolean {
  // The list of canonical zones first: a process's first Intl.DateTimeFormat with a zone loads ICU's time-zone data
  // (~20 ms of every start on two cores); aliases (US/Pacific) and typos still go to the formatter, which decides.
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Tokens: printable ASCII (so they work in a form and in an Authorization header), at least 12 characters. */
export const TOKEN_MIN_LENGTH = 12;
/** ... and at least this many different characters: "aaaaaaaaaaaa" or "abababababab" is not a secret. */
export const TOKEN_MIN_DISTINCT = 6;

/** Why `token` (already trimmed) is too weak to guard the journal, or undefined when it will do. */
export function weakTokenReason(token: string): string | undefined {
  if (token.length < TOKEN_MIN_LENGTH) return `must be at least ${TOKEN_MIN_LENGTH} characters`;
  if (!/^[\x20-\x7e]+$/.test(token)) return 'may hold only printable ASCII characters (letters, digits, punctuation, spaces)';
  if (new Set(token).size < TOKEN_MIN_DISTINCT) {
    return `must use at least ${TOKEN_MIN_DISTINCT} different characters (use a random one, e.g. openssl rand -hex 32)`;
  }
  return undefined;
}

function checkToken(token: string, ctx: z.RefinementCtx): void {
  const reason = weakTokenReason(token);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
}

/** One TRADELOG_ALLOWED_HOSTS entry: a host name or IP address (IPv6 in brackets), optionally with a port. */
const HOST_ENTRY = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*))(?::(\d{1,5}))?$/;

function parseAllowedHosts(text: string, ctx: z.RefinementCtx): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const m = HOST_ENTRY.exec(entry);
    const port = m?.[3] === undefined ? undefined : Number(m[3]);
    if (!m || (m[1] !== undefined && !net.isIPv6(m[1])) || (port !== undefined && (port < 1 || port > 65535))) {
      ctx.addIssue({
        code: 'custom',
        message: `entry "${raw.trim()}" is not a host name with an optional port (journal.example.com, journal.example.com:8443, 192.168.1.10:5000, [fd00::1]:5000)`,
      });
      return z.NEVER;
    }
    out.push(entry);
  }
  return out;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR range (10.0.0.0/8, fd00::/8) or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [addr = '', bits, extra] = entry.split('/');
  const family = net.isIP(addr);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function parseTrustProxy(value: boolean | string, ctx: z.RefinementCtx): boolean | string[] {
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (v === 'false' || v === '0' || v === 'no' || v === '') return false;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  const list = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = list.find((e) => !isProxyAddress(e));
  if (bad !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${bad}" is not an address or range; use false, true, or the proxy's addresses (127.0.0.1, 10.0.0.0/8, loopback)`,
    });
    return z.NEVER;
  }
  return list;
}

/** A URL with its user:password@ part masked, for display ("https://****@host/"). Text without one is returned as is. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, '$1****@');
}

const configSchema = z.object({
  dataDir: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  logFile: z.string().min(1).optional(),
  logLevel: z.enum(LOG_LEVELS),
  importTimezone: z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. America/Los_Angeles)' }),
  /**
   * Zone times are shown in (pages, the CLI's text, the hour statistics, exports). Unset: the Settings page's display
   * zone, else the import zone in force.
   */
  displayTimezone: z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. Asia/Tokyo, UTC)' }).optional(),
  yahooBaseUrl: z.url(),
  /** Secret the web app requires when it listens beyond loopback. Never logged. */
  authToken: z.string().trim().superRefine(checkToken).optional(),
  /** Extra names the web app answers to (besides 127.0.0.1, localhost, [::1] and the bound host): `name[:port]`. */
  allowedHosts: z.string().transform(parseAllowedHosts),
  /** Which peers may set X-Forwarded-For/-Proto/-Host: false, true (any) or a list of addresses/CIDR ranges. */
  trustProxy: z.union([z.boolean(), z.string()]).transform(parseTrustProxy),
  /** Minutes between scheduled market-data refreshes; 0 turns the scheduler off. */
  schedulerIntervalMinutes: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 60),
  /** Watch `<dataDir>/import/` for NinjaTrader CSVs. */
  watchImport: z.stringbool().or(z.boolean()),
  /** Memory the web app may keep chart bars in (MiB; 0 = none, every chart read from market.db). */
  chartCacheMb: z.coerce.number().int().min(0).max(16_384),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

interface KeySpec {
  env: string;
  default?: string | number | boolean;
  secret?: boolean;
  /** Read the value from the file named by `${env}_FILE` (Docker secrets). */
  fileVariant?: boolean;
  /** The command-line flag when it is not the key in kebab case. */
  flag?: string;
}

export const CONFIG_KEYS: Record<ConfigKey, KeySpec> = {
  dataDir: { env: 'TRADELOG_DATA_DIR', default: './data' },
  port: { env: 'TRADELOG_PORT', default: 5000 },
  host: { env: 'TRADELOG_HOST', default: '127.0.0.1' },
  logFile: { env: 'TRADELOG_LOG_FILE' },
  logLevel: { env: 'TRADELOG_LOG_LEVEL', default: 'info' },
  importTimezone: { env: 'TRADELOG_IMPORT_TIMEZONE', default: 'America/Los_Angeles' },
  displayTimezone: { env: 'TRADELOG_DISPLAY_TIMEZONE', flag: 'tz' },
  yahooBaseUrl: { env: 'TRADELOG_YAHOO_BASE_URL', default: 'https://query1.finance.yahoo.com' },
  authToken: { env: 'TRADELOG_AUTH_TOKEN', secret: true, fileVariant: true },
  allowedHosts: { env: 'TRADELOG_ALLOWED_HOSTS', default: '' },
  trustProxy: { env: 'TRADELOG_TRUST_PROXY', default: false },
  schedulerIntervalMinutes: { env: 'TRADELOG_SCHEDULER_INTERVAL_MINUTES', default: 0 },
  watchImport: { env: 'TRADELOG_WATCH_IMPORT', default: false },
  chartCacheMb: { env: 'TRADELOG_CHART_CACHE_MB', default: 64 },
};

export type ConfigFlags = Partial<Record<ConfigKey, string | number | boolean | undefined>>;

/**
 * Build the configuration. `flags` are what the command line gave (undefined = not given); `env` defaults to
 * the process environment. Throws TL_CONFIG_INVALID naming the variable or flag and what was wrong with it.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const fromEnv = env[spec.env];
    const fileVar = spec.fileVariant ? env[`${spec.env}_FILE`] : undefined;
    if (fromEnv !== undefined && fromEnv !== '' && fileVar) {
      throw new AppError('TL_CONFIG_INVALID', `Both ${spec.env} and ${spec.env}_FILE are set.`, {
        remedy: `Set only one of ${spec.env} and ${spec.env}_FILE.`,
        details: { variable: spec.env },
      });
    }
    if (fromEnv !== undefined && fromEnv !== '') {
      raw[key] = fromEnv;
      origin[key] = `environment variable ${spec.env}`;
    } else if (fileVar) {
      try {
        raw[key] = fs.readFileSync(fileVar, 'utf8').trim();
      } catch (err) {
        throw new AppError('TL_CONFIG_INVALID', `Cannot read ${spec.env}_FILE (${fileVar}): ${String(err)}`, {
          remedy: `Make ${fileVar} readable by this user, or set ${spec.env} instead.`,
          details: { variable: `${spec.env}_FILE`, path: fileVar },
        });
      }
      origin[key] = `file named by ${spec.env}_FILE`;
    } else if (flags[key] !== undefined) {
      raw[key] = flags[key];
      origin[key] = `flag --${flagName(key, spec)}`;
    } else if (spec.default !== undefined) {
      raw[key] = spec.default;
      origin[key] = 'default';
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = (issue?.path[0] ?? 'unknown') as ConfigKey;
    const spec = CONFIG_KEYS[key];
    const where = origin[key] ?? (spec ? spec.env : key);
    const shown = spec?.secret ? '(hidden)' : maskUrlCredentials(JSON.stringify(raw[key]));
    throw new AppError('TL_CONFIG_INVALID', `Invalid setting ${where}: ${shown} ${issue?.message ?? ''}`.trim(), {
      remedy: `Fix or unset ${spec ? spec.env : key}${spec ? ` (or --${flagName(key, spec)})` : ''}.`,
      details: { key, source: where },
    });
  }
  const config = parsed.data;
  config.dataDir = path.resolve(config.dataDir);
  return config;
}

/**
 * Flags given on the command line whose value an environment variable replaces, as sentences for stderr: in the
 * Docker image TRADELOG_DATA_DIR and TRADELOG_HOST are set, so `--data-dir` there would otherwise be ignored unseen.
 */
export function flagsOverriddenByEnv(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const flag = flags[key];
    const fromEnv = env[spec.env];
    if (flag === undefined || fromEnv === undefined || fromEnv === '' || String(flag) === fromEnv) continue;
    const shown = spec.secret ? '(hidden)' : maskUrlCredentials(fromEnv);
    out.push(
      `--${flagName(key, spec)} ${spec.secret ? '(hidden)' : String(flag)} is ignored: ${spec.env}=${shown} takes precedence. Unset ${spec.env} to use the flag.`,
    );
  }
  return out;
}

/** The configuration with secrets masked, for logs and the status page. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const value = config[key];
    out[key] = spec.secret && value !== undefined ? '****' : typeof value === 'string' ? maskUrlCredentials(value) : value;
  }
  return out;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The command-line flag of a key, without the dashes. */
function flagName(key: string, spec: KeySpec): string {
  return spec.flag ?? kebab(key);
}

/** Paths inside the data directory (docs/interface.md). */
export function dataPaths(dataDir: string) {
  return {
    dataDir,
    dbDir: path.join(dataDir, 'db'),
    journalDb: path.join(dataDir, 'db', 'journal.db'),
    marketDb: path.join(dataDir, 'db', 'market.db'),
    backupsDir: path.join(dataDir, 'backups'),
    quarantineDir: path.join(dataDir, 'quarantine'),
    logsDir: path.join(dataDir, 'logs'),
    importDir: path.join(dataDir, 'import'),
  };
}
export type DataPaths = ReturnType<typeof dataPaths>;
