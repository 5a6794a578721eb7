import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BOM } from '../../exports/csv.js';
import { createExportService, type ExportDocument, type ExportService } from '../../exports/export.service.js';
import type { TableFilter } from '../../exports/tables.js';
import { GROUP_BYS, type GroupBy } from '../../trades/stats.js';
import { positionFilterOf } from '../../trades/trades.service.js';
import { requireStore, type WebContext } from '../context.js';
import { apiPeriod } from '../period-filter.js';
import type { PositionListQuery } from '../positions-view.js';
import { displayZone } from '../services.js';
import { cleanQuery, positionFilterProps, positionListQuerySchema } from './api.js';

/**
 * Downloads (docs/export.md): the positions page's positions and their executions, the dashboard's daily results and
 * the statistics page's table as CSV, with the page's filters; the whole journal as JSON from Settings.
 *
 * A download is sent in pieces read from a snapshot of the journal, with a turn of the event loop between pieces,
 * so a large journal never holds the other pages or /health. The first piece is read before anything is sent: a
 * bad filter or an unusable database is an ordinary error answer, not a broken download. An error after that ends
 * the connection without the closing chunk, so the browser reports a failed download rather than keeping a short file.
 */
const filterProps = positionFilterProps;

type TableQuery = PositionListQuery & { by?: GroupBy };

/** The table's filter; a named period is resolved to its trading days at `nowMs` (the app's clock), as the pages do. */
function tableFilterOf(q: TableQuery, nowMs: number): TableFilter {
  const filter: TableFilter = positionFilterOf(apiPeriod(q, nowMs).query);
  if (q.side) filter.side = q.side;
  if (q.reviewed) filter.reviewed = q.reviewed;
  return filter;
}

/** Work done in one turn of the event loop before the others get theirs (pieces are a few ms each). */
const TURN_MS = 8;

/**
 * The pieces after the first, as many per turn of the event loop as fit in TURN_MS, sent as one; the document's
 * reader is closed however the download ends (finished, failed, or the browser went away).
 */
async function* paced(rest: Generator<string, void, undefined>): AsyncGenerator<string> {
  try {
    for (let done = false; !done; ) {
      await nextTurn();
      const start = performance.now();
      let out = '';
      do {
        const piece = rest.next();
        if (piece.done) done = true;
        else out += piece.value;
      } while (!done && performance.now() - start < TURN_MS);
      if (out) yield out;
    }
  } finally {
    rest.return(undefined);
  }
}

function send(reply: FastifyReply, doc: ExportDocument, prefix = ''): FastifyReply {
  const pieces = doc.chunks();
  const first = pieces.next();
  reply
    .type(doc.contentType)
    .header('content-disposition', `attachment; filename="${doc.fileName}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff');
  const head = prefix + (first.done ? '' : first.value);
  if (first.done) return reply.send(head);
  return reply.send(Readable.from(prepend(head, paced(pieces)), { objectMode: false }));
}

async function* prepend(head: string, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  yield head;
  yield* rest;
}

export function registerExportRoutes(app: FastifyInstance, ctx: WebContext): void {
  let service: ExportService | undefined;
  const exports = (): ExportService => {
    service ??= createExportService({
      journal: requireStore(ctx).journal,
      importTimezone: ctx.config.importTimezone,
      clock: ctx.clock,
      logger: ctx.logger,
      zone: () => displayZone(ctx.services, ctx.config),
      generator: 'tradelog 0.1.0',
    });
    return service;
  };

  app.get('/export/positions.csv', { schema: { querystring: positionListQuerySchema } }, async (req, reply) =>
    send(reply, exports().table('positions', tableFilterOf(cleanQuery(req.query as TableQuery), ctx.clock.now())), BOM),
  );
  app.get('/export/executions.csv', { schema: { querystring: positionListQuerySchema } }, async (req, reply) =>
    send(reply, exports().table('executions', tableFilterOf(cleanQuery(req.query as TableQuery), ctx.clock.now())), BOM),
  );
  app.get('/export/daily.csv', { schema: { querystring: { type: 'object', properties: filterProps } } }, async (req, reply) =>
    send(reply, exports().table('daily', tableFilterOf(cleanQuery(req.query as TableQuery), ctx.clock.now())), BOM),
  );
  app.get(
    '/export/statistics.csv',
    { schema: { querystring: { type: 'object', properties: { ...filterProps, by: { type: 'string', enum: [...GROUP_BYS, ''] } } } } },
    async (req, reply) => {
      const q = cleanQuery(req.query as TableQuery);
      return send(reply, exports().table('stats', tableFilterOf(q, ctx.clock.now()), q.by ? { by: q.by } : {}), BOM);
    },
  );
  app.get('/export/journal.json', async (_req, reply) => send(reply, exports().journal()));
}
