import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { type HealthReport, unavailableError } from '../db/startup.js';
import type { Store } from '../db/store.js';
import { AppError, isAppError } from '../errors.js';

export type { HealthReport } from '../db/startup.js';

/**
 * Builds the web app; never listens (src/web/server.ts does). Tests call `buildApp()` with the production
 * options and use `inject()`.
 */
export interface AppOptions {
  store: Store | undefined;
  logger: Logger;
  /**
   * The storage verdict, live (src/db/startup.ts): 'degraded' = reads served, writes refused (pages show a banner);
   * 'fatal' = no store, every route but /health answers 503 with the finding and its fix.
   */
  health: () => HealthReport;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page a browser gets while the database can't be used: what is wrong and how to fix it, never a bare 500. */
function unavailablePage(report: HealthReport): string {
  const items = report.findings
    .filter((f) => f.severity === 'fatal' || f.severity === 'degraded')
    .map((f) => `<li><strong>${escapeHtml(f.code)}</strong>: ${escapeHtml(f.message)}<br>Fix: ${escapeHtml(f.remedy)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tradelog: database unavailable</title></head>
<body><h1>The journal database can't be used</h1>
<ul>
${items}
</ul>
<p>Nothing was deleted. After the fix, restart tradelog; <code>tradelog doctor</code> repeats these checks.</p>
</body></html>
`;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.get('/health', async (_req, reply) => {
    const report = options.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  // Fatal storage: every other route (and unknown ones) answers 503 with the finding and its fix.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/health' || req.url.startsWith('/health?')) return;
    const report = options.health();
    if (report.status !== 'fatal') return;
    const err = unavailableError(report);
    reply.code(503).header('retry-after', '60');
    if (!req.url.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html')) {
      return reply.type('text/html; charset=utf-8').send(unavailablePage(report));
    }
    return reply.send({ error: { code: err.code, message: err.message, remedy: err.remedy }, findings: report.findings });
  });

  app.setErrorHandler((err, req, reply) => {
    const app = isAppError(err)
      ? err
      : new AppError('TL_INTERNAL', 'Unexpected error while answering this request.', {
          remedy: 'This is a bug in tradelog; the server log has the details.',
        });
    if (!isAppError(err)) req.log.error({ err }, 'unhandled error');
    return reply.code(app.status).send({ error: { code: app.code, message: app.message, remedy: app.remedy } });
  });

  return app;
}
