import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { type Config, loadConfig } from '../config.js';
import { type HealthReport, unavailableError } from '../db/startup.js';
import type { Store } from '../db/store.js';
import { AppError, isAppError, sqliteCode } from '../errors.js';
import type { WebContext } from './context.js';
import { HealthMonitor } from './health.js';
import { HostPolicy } from './hosts.js';
import { lazyCompilers } from './lazy-schemas.js';
import { Metrics } from './metrics.js';
import { RecentErrors } from './recent-errors.js';
import { assetDir, createRenderer, type Render } from './render.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerPageRoutes } from './routes/pages.js';
import { assertSafeBinding, dropUnreadBody, installSecurity, isApiPath, registerLogin, type SecurityOptions } from './security.js';
import { createServices, displayZone, type Services } from './services.js';
import { SessionStore, SignInThrottle } from './sessions.js';
import { UPLOAD_LIMITS } from './uploads.js';
import { installWarmUp } from './warm-up.js';

export type { HealthReport } from '../db/startup.js';

/**
 * Builds the web app; never listens (src/web/server.ts does). Tests call `buildApp()` with the same options
 * `tradelog serve` uses and talk to it with `inject()` or over loopback.
 */
export interface AppOptions {
  /** Validated configuration; the defaults (loopback, no token) when omitted. */
  config?: Config;
  store: Store | undefined;
  logger: Logger;
  /**
   * The storage verdict, live (src/db/startup.ts): 'degraded' = reads served, writes refused (pages show a banner);
   * 'fatal' = no store, every route but /health answers 503 with the finding and its fix.
   */
  health: () => HealthReport;
  /**
   * The one source of "now": services, jobs, the scheduler, the demo, sessions and the sign-in throttle (tests pin
   * it). Default the system clock.
   */
  clock?: Clock;
}

export { UPLOAD_LIMITS };

const require = createRequire(import.meta.url);
const CHARTS_FILE = path.join(
  path.dirname(require.resolve('lightweight-charts/package.json')),
  'dist',
  'lightweight-charts.standalone.production.js',
);

/** Paths that keep answering while the database is unusable: health, metrics, the login page and static files. */
function isOperational(url: string): boolean {
  return url === '/health' || url === '/metrics' || url.startsWith('/static/') || url.startsWith('/vendor/') || url === '/favicon.ico';
}

/** JSON for the API and for clients that don't ask for HTML (scripts, curl); pages for browsers. */
function wantsJson(req: FastifyRequest): boolean {
  const url = req.url;
  if (isApiPath(url) || url === '/health' || url === '/metrics') return true;
  return !(req.headers.accept ?? '').includes('text/html');
}

/** Any error → AppError: its own status for AppErrors and client errors, a logged 500 for the rest. */
export function toAppError(err: unknown, req: FastifyRequest): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyError;
  if (e.validation) {
    return new AppError('TL_WEB_BAD_REQUEST', `Invalid ${e.validationContext ?? 'request'}: ${e.message}`, {
      remedy: 'Correct the value the message names and try again.',
    });
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AppError(
      'TL_WEB_BODY_TOO_LARGE',
      `The request body is larger than ${req.method} ${req.routeOptions.url ?? 'this address'} takes.`,
      {
        remedy: 'Send the form from its page; files are uploaded on the Import page.',
        details: { limitBytes: req.routeOptions.bodyLimit },
      },
    );
  }
  if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.code === 'FST_FILES_LIMIT' || e.code === 'FST_PARTS_LIMIT' || e.statusCode === 413) {
    return new AppError('TL_WEB_UPLOAD_TOO_LARGE', `The upload is too large (${e.message}).`, {
      remedy: `Upload at most ${UPLOAD_LIMITS.files} files of at most ${UPLOAD_LIMITS.fileBytes / 1024 / 1024} MB each; split bigger exports by date.`,
    });
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('TL_WEB_BAD_REQUEST', e.message, { status: e.statusCode, remedy: 'Check the request and try again.' });
  }
  if (req.isMultipart?.() && !req.uploadRead) {
    // busboy's own errors (a missing boundary, a truncated part, a malformed header) carry no status: the body
    // was at fault, not the server.
    return new AppError('TL_WEB_BAD_REQUEST', `The upload is not a well-formed multipart form (${e.message}).`, {
      remedy: 'Upload the files with the form on the Import page.',
    });
  }
  req.log.error({ err, sqliteCode: sqliteCode(err), url: req.url }, 'unhandled error');
  return new AppError('TL_INTERNAL', 'Unexpected error while answering this request; nothing was changed by the failed step.', {
    remedy:
      'Reload the page. If it happens again, the server log has the details (look for "unhandled error"); run "tradelog doctor" to rule out a storage problem.',
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route does not take a write turn (it waits for the import worker itself, see below). */
    writeTurn?: false;
  }
  interface FastifyInstance {
    /** What `serve` needs after building: the services (to start the scheduler and the import watcher). */
    tradelog: { services: Services | undefined; metrics: Metrics; recentErrors: RecentErrors };
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { store, logger } = options;
  const clock = options.clock ?? systemClock;
  const config = options.config ?? loadConfig({ logLevel: 'silent' }, {});
  assertSafeBinding(config.host, config.authToken);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Who may set X-Forwarded-For/-Proto/-Host (TRADELOG_TRUST_PROXY): then req.ip, req.protocol and req.host
    // are the client's, so the session cookie is Secure behind a TLS proxy and the throttle counts per client.
    trustProxy: config.trustProxy,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    schemaController: { compilersFactory: lazyCompilers },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, allErrors: false } },
  });

  const monitor = new HealthMonitor(store, options.health, logger, clock);
  const metrics = new Metrics();
  const { render } = createRenderer({
    writeRefusal: () => monitor.writeRefusal(),
    // The display zone (TRADELOG_DISPLAY_TIMEZONE, else Settings → display time zone, else the import zone) for every time shown.
    zone: () => displayZone(services, config),
    now: () => clock.now(),
    authEnabled: Boolean(config.authToken),
  });
  const services = store ? createServices(store, config, logger, clock) : undefined;
  const ctx: WebContext = {
    config,
    store,
    services,
    logger,
    monitor,
    metrics,
    render,
    startupHealth: options.health,
    recentErrors: new RecentErrors(50, clock),
    clock,
    startedAt: new Date(clock.now()).toISOString(),
  };

  app.decorate('tradelog', { services, metrics, recentErrors: ctx.recentErrors });
  if (services) {
    // Download jobs run in the background: wait for them (cancelled) before the databases close.
    app.addHook('onClose', async () => services.close());
    metrics.addSource({
      name: 'tradelog_bars',
      help: 'Bars stored in market.db, by instrument and timeframe.',
      collect: () =>
        services.market.coverage().map((c) => ({ labels: { instrument: c.instrument, timeframe: c.timeframe }, value: c.count })),
    });
    metrics.addSource({
      name: 'tradelog_positions',
      help: 'Positions in the journal, by status.',
      collect: () =>
        (['open', 'closed'] as const).map((status) => ({ labels: { status }, value: services.trades.countPositions({ status }) })),
    });
    metrics.addSource({
      name: 'tradelog_market_jobs_running',
      help: 'Market-data update jobs running now.',
      collect: () => [{ value: services.market.jobs.list().filter((j) => j.state === 'running').length }],
    });
    metrics.addSource({
      name: 'tradelog_market_jobs_queued',
      help: 'Market-data update jobs waiting for a free slot.',
      collect: () => [{ value: services.market.jobs.list().filter((j) => j.state === 'queued').length }],
    });
    services.market.jobs.subscribe((job, event) => {
      if (event.type !== 'finished') return;
      metrics.inc('tradelog_market_jobs_total', 'Market-data update jobs finished, by who started them and outcome.', {
        origin: job.origin,
        outcome: job.outcome ?? 'failed',
      });
      if (job.outcome !== 'ok') {
        const failed = job.error ?? job.timeframes.find((t) => t.error)?.error;
        if (failed) {
          ctx.recentErrors.add({
            code: failed.code,
            message: `Update of ${job.instrument}: ${failed.message}`,
            remedy: failed.remedy,
            where: `market-data job ${job.id}`,
          });
        }
      }
    });
  }

  const security: SecurityOptions = {
    authToken: config.authToken,
    hosts: new HostPolicy({ bindHost: config.host, allowedHosts: config.allowedHosts }),
    sessions: new SessionStore(clock),
    throttle: new SignInThrottle(clock),
  };
  installSecurity(app, security);
  installWarmUp(app);

  // Time spent in the server, for the browser's network panel and the benchmark (Server-Timing). API answers are
  // the trader's data: never stored by a browser or proxy unless the route says otherwise (bars: ETag revalidation).
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(3)}`);
    if (isApiPath(req.url) && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // Request latency by route pattern (bounded label set: unmatched URLs share one label).
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeRequest({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // Fatal database: every page and API call answers 503 with the findings and their fixes.
  app.addHook('onRequest', async (req, reply) => {
    if (isOperational(req.url)) return;
    const report = options.health();
    if (report.status !== 'fatal') return;
    const err = unavailableError(report);
    reply.header('retry-after', '60');
    if (wantsJson(req)) {
      return reply.code(503).send({ error: { code: err.code, message: err.message, remedy: err.remedy }, findings: report.findings });
    }
    return render(reply, req, 'unavailable', { title: 'Database unavailable', report }, 503);
  });

  // Before anything changes state, make sure the files can still be written (see HealthMonitor), and wait for an
  // import's transaction on the worker to end (asynchronously: src/db/write-turns.ts), so that the request's
  // write does not wait for it with the event loop held.
  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    monitor.checkWritable(true);
    if (services && req.routeOptions.config?.writeTurn !== false) await services.imports.turns.mainTurn();
  });

  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await app.register(fastifyStatic, {
    root: assetDir('public'),
    prefix: '/static/',
    maxAge: 24 * 3600 * 1000,
    index: false,
    dotfiles: 'deny',
  });

  const chartsJs = fs.readFileSync(CHARTS_FILE);
  app.get('/vendor/lightweight-charts.js', (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(chartsJs),
  );
  app.get('/favicon.ico', (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

  app.setErrorHandler((err, req, reply) => {
    const e = toAppError(err, req);
    return sendError(ctx, render, req, reply, e);
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new AppError('TL_WEB_NOT_FOUND', `Nothing here: ${req.method} ${req.url.split('?')[0]}`, {
      remedy: 'Check the address, or start from the dashboard at /.',
    });
    return sendError(ctx, render, req, reply, e);
  });

  registerLogin(app, security, render);
  registerOpsRoutes(app, ctx);
  registerPageRoutes(app, ctx);

  return app;
}

function sendError(ctx: WebContext, render: Render, req: FastifyRequest, reply: FastifyReply, e: AppError): FastifyReply {
  if (e.status >= 500) {
    req.log.warn({ code: e.code, status: e.status, url: req.url }, e.message);
    ctx.recentErrors.add({ code: e.code, message: e.message, remedy: e.remedy, where: `${req.method} ${req.url.split('?')[0]}` });
  }
  // Refused before its body was read: the rest is dropped, never kept.
  dropUnreadBody(req, reply);
  // A refused Host gets no page: whoever sent it is not using this server by its name.
  if (wantsJson(req) || e.code === 'TL_WEB_HOST_REFUSED') {
    return reply
      .code(e.status)
      .header('cache-control', 'no-store')
      .send({ error: { code: e.code, message: e.message, remedy: e.remedy } });
  }
  const notSaved = req.method !== 'GET' && req.method !== 'HEAD';
  return render(reply, req, 'error', { title: e.status === 404 ? 'Not found' : 'Error', error: e, status: e.status, notSaved }, e.status);
}
