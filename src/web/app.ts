import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../db/store.js';
import { AppError, isAppError } from '../errors.js';

/**
 * Builds the web app; never listens (src/web/server.ts does). Tests call `buildApp()` with the production
 * options and use `inject()`.
 */
export interface AppOptions {
  store: Store | undefined;
  logger: Logger;
  /** The doctor's verdict at start-up; 'fatal' means every page answers 503 with the finding and its fix. */
  health: () => HealthReport;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'fatal';
  journalMode?: string;
  findings: { code: string; severity: string; message: string; remedy: string; path?: string }[];
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, disableRequestLogging: true });

  app.get('/health', async (_req, reply) => {
    const report = options.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
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
