import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describeConfig } from '../../config.js';
import { backupDatabase, listBackups } from '../../db/backup.js';
import { freeBytes, mountFor } from '../../db/fs-info.js';
import { requireStore, type WebContext } from '../context.js';

export interface FileFacts {
  file: string;
  exists: boolean;
  bytes?: number;
  uid?: number;
  gid?: number;
  mode?: string;
  writable?: boolean;
}

function facts(file: string): FileFacts {
  try {
    const st = fs.statSync(file);
    let writable = true;
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch {
      writable = false;
    }
    return {
      file,
      exists: true,
      bytes: st.size,
      uid: st.uid,
      gid: st.gid,
      mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
      writable,
    };
  } catch {
    return { file, exists: false };
  }
}

/** The status page: doctor findings with fixes, journal mode, file owners, disk space, backups, jobs, recent errors. */
export function registerStatusRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/status',
    { schema: { querystring: { type: 'object', properties: { backedUp: { type: 'string', maxLength: 300 } } } } },
    async (req, reply) => {
      const store = requireStore(ctx);
      const report = ctx.monitor.report();
      const paths = store.paths;
      const files = [paths.dbDir, ...[paths.journalDb, paths.marketDb].flatMap((f) => [f, `${f}-wal`, `${f}-shm`, `${f}-journal`])]
        .map(facts)
        .filter((f, i) => i < 3 || f.exists || f.file.endsWith('.db'));
      const space = freeBytes(paths.dataDir);
      const mount = mountFor(paths.dataDir);
      const backups = listBackups(paths.backupsDir).map((b) => ({ ...b, name: path.basename(b.file) }));
      return ctx.render(reply, req, 'status', {
        title: 'Status',
        report,
        process: { uid: process.getuid?.(), gid: process.getgid?.(), pid: process.pid, node: process.version, startedAt: ctx.startedAt },
        dataDir: paths.dataDir,
        files,
        space,
        mount,
        backups,
        backedUp: (req.query as { backedUp?: string }).backedUp,
        config: describeConfig(ctx.config),
        errors: ctx.recentErrors.list(),
        jobs: (ctx.services?.market.jobs.list() ?? []).slice(0, 20).map((j) => ({
          label: `${j.instrument} (${j.origin})`,
          startedAt: j.startedAt ?? j.requestedAt,
          status: j.state === 'running' || j.state === 'queued' ? j.state : j.outcome === 'ok' ? 'ok' : 'error',
          summary:
            j.state === 'queued'
              ? `waiting for a free slot (${j.queuePosition ?? 1} in line)`
              : j.state === 'running'
                ? `${Math.round(j.progress * 100)}%`
                : j.timeframes.map((t) => `${t.timeframe} ${t.status === 'ok' ? `+${t.stored}` : (t.error?.code ?? t.status)}`).join(', '),
        })),
        scheduler: ctx.services?.scheduler?.status(),
      });
    },
  );

  app.post(
    '/status/backup',
    {
      schema: {
        body: { type: 'object', properties: { all: { type: 'string', enum: ['on', '1', 'true'] } } },
      },
    },
    async (req, reply) => {
      const store = requireStore(ctx);
      const body = (req.body ?? {}) as { all?: string };
      const made = [backupDatabase(store.journal, { backupsDir: store.paths.backupsDir, kind: 'manual' })];
      if (body.all) made.push(backupDatabase(store.market, { backupsDir: store.paths.backupsDir, kind: 'manual' }));
      req.log.info({ files: made.map((m) => m.file) }, 'backup made from the status page');
      return reply.redirect(`/status?backedUp=${encodeURIComponent(made.map((m) => path.basename(m.file)).join(', '))}`, 303);
    },
  );
}
