import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { HealthReport } from '../db/startup.js';
import type { Store } from '../db/store.js';
import { AppError } from '../errors.js';
import type { HealthMonitor } from './health.js';
import type { Metrics } from './metrics.js';
import type { RecentErrors } from './recent-errors.js';
import type { Render } from './render.js';
import type { Services } from './services.js';

/** What every route module gets. Routes stay thin: parse → service → render. */
export interface WebContext {
  config: Config;
  store: Store | undefined;
  logger: Logger;
  monitor: HealthMonitor;
  metrics: Metrics;
  render: Render;
  startupHealth: () => HealthReport;
  recentErrors: RecentErrors;
  /** Undefined when the store could not be opened (fatal start-up). */
  services: Services | undefined;
  /** The one source of "now" (demo, jobs, scheduler, anything that decides by the time). */
  clock: Clock;
  /** When the app started (ISO), shown on the status page. */
  startedAt: string;
}

/** The store, or the 503 that says why there is none. */
export function requireStore(ctx: WebContext): Store {
  if (ctx.store) return ctx.store;
  const finding = ctx.startupHealth().findings[0];
  throw new AppError(finding?.code ?? 'TL_WEB_UNAVAILABLE', finding?.message ?? 'The database could not be opened.', {
    status: 503,
    remedy: finding?.remedy ?? 'Run "tradelog doctor" and follow what it says, then restart tradelog.',
  });
}

/** The services, or the 503 that says why the database is not there. */
export function requireServices(ctx: WebContext): Services {
  requireStore(ctx);
  if (!ctx.services) throw new AppError('TL_WEB_UNAVAILABLE', 'The services are not available.', { remedy: 'Restart tradelog.' });
  return ctx.services;
}
