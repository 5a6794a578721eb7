import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Clock, manualClock } from '../../src/clock.js';
import { type Config, type DataPaths, loadConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/db/store.js';
import { silentLogger } from '../../src/log.js';
import { buildApp, type HealthReport } from '../../src/web/app.js';
import { tempDataPaths } from './tmp.js';

type Hooks = Pick<TestContext, 'after'> | { after: (fn: () => unknown) => void };

export interface TestApp {
  app: FastifyInstance;
  store: Store | undefined;
  config: Config;
  paths: DataPaths;
  clock: Clock;
}

/**
 * The instant a test app's clock stands at unless a test sets its own: Friday 20 November 2026, 16:30 CST, half an
 * hour after the CME close. Pinned so that no page, job or demo a test sees depends on the day the suite runs.
 */
export const TEST_NOW = Date.parse('2026-11-20T22:30:00Z');

/**
 * The web app built exactly as `tradelog serve` builds it (same buildApp, same options), on a real store in a
 * temp data dir, its clock pinned (default TEST_NOW); talk to it with `app.inject()`.
 */
export async function buildTestApp(
  t: Hooks,
  options: { env?: Record<string, string>; health?: () => HealthReport; noStore?: boolean; paths?: DataPaths; clock?: Clock } = {},
): Promise<TestApp> {
  const paths = options.paths ?? tempDataPaths(t);
  const config = loadConfig({ dataDir: paths.dataDir, logLevel: 'silent' }, { ...options.env });
  const logger = silentLogger();
  const store = options.noStore ? undefined : openStore(paths, { logger });
  const health = options.health ?? (() => ({ status: 'ok' as const, journalMode: store?.journal.journalMode, findings: [] }));
  const clock = options.clock ?? manualClock(TEST_NOW);
  const app = await buildApp({ config, store, logger, health, clock });
  t.after(async () => {
    await app.close();
    store?.close();
  });
  return { app, store, config, paths, clock };
}

/** Cookie header value from a response's set-cookie headers. */
export function cookiesFrom(res: { headers: Record<string, unknown> }): Record<string, string> {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const out: Record<string, string> = {};
  for (const c of list) {
    const [pair] = c.split(';');
    const i = (pair ?? '').indexOf('=');
    if (i > 0) out[(pair as string).slice(0, i)] = decodeURIComponent((pair as string).slice(i + 1));
  }
  return out;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('; ');
}
