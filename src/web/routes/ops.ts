import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { isLoopbackHost } from '../security.js';

const findingSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    severity: { type: 'string' },
    message: { type: 'string' },
    remedy: { type: 'string' },
    path: { type: 'string' },
  },
};

/** /health (200 only when ok, 503 with the findings otherwise) and /metrics (Prometheus text). */
export function registerOpsRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { metrics, monitor, store } = ctx;

  app.get(
    '/health',
    {
      schema: {
        response: {
          '2xx': {
            type: 'object',
            additionalProperties: true,
            properties: {
              status: { type: 'string' },
              journalMode: { type: 'string' },
              checkedAt: { type: 'string' },
              findings: { type: 'array', items: findingSchema },
              databases: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    file: { type: 'string' },
                    journalMode: { type: 'string' },
                    writable: { type: 'boolean' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const report = monitor.report();
      const code = report.status === 'ok' ? 200 : 503;
      // With a token set, strangers learn only the verdict; the findings name paths and uids.
      const trusted = !ctx.config.authToken || req.signedIn || isLoopbackHost(req.ip);
      // Sent as text, so that /health never waits for the schema compilers (see lazy-schemas.ts).
      const body = trusted ? report : { status: report.status, checkedAt: report.checkedAt, findings: [] };
      return reply.code(code).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    },
  );

  metrics.addSource({
    name: 'tradelog_health_status',
    help: 'Health verdict: 1 for the current status (ok, degraded or fatal).',
    collect: () => {
      const s = monitor.report().status;
      return (['ok', 'degraded', 'fatal'] as const).map((status) => ({ labels: { status }, value: status === s ? 1 : 0 }));
    },
  });
  metrics.addSource({
    name: 'tradelog_db_writable',
    help: 'Whether writes to the database are accepted (1) or refused (0).',
    collect: () =>
      monitor.report().databases.map((d) => ({ labels: { db: d.name, journal_mode: d.journalMode }, value: d.writable ? 1 : 0 })),
  });
  metrics.addSource({
    name: 'tradelog_db_size_bytes',
    help: 'Size of each database file (without -wal).',
    collect: () =>
      store
        ? [store.journal, store.market].map((db) => {
            let size = 0;
            try {
              size = fs.statSync(db.file).size;
            } catch {
              size = 0;
            }
            return { labels: { db: db.name }, value: size };
          })
        : [],
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store').send(metrics.render());
  });
}
