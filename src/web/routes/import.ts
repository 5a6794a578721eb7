import crypto from 'node:crypto';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { ImportFileResult } from '../../trades/import.service.js';
import { UPLOAD_LIMITS } from '../app.js';
import { requireServices, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';

/**
 * Import page: upload one or more NinjaTrader CSVs, see what would be added, skipped as duplicate and rejected
 * (a preview stores nothing), then commit; the history lists every import with "Undo".
 *
 * Uploaded bytes stay in memory between preview and commit (never written to disk under a name the browser
 * chose); the commit refuses a file whose content differs from the one previewed.
 */
interface PendingFile {
  name: string;
  content: Buffer;
  sha256: string;
}

interface Pending {
  files: PendingFile[];
  skipInvalid: boolean;
  createdAt: number;
  bytes: number;
}

const PENDING_TTL_MS = 30 * 60 * 1000;
const PENDING_MAX_BYTES = 200 * 1024 * 1024;

/** A display name for an uploaded file: its base name, printable, at most 200 characters. */
export function uploadName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = [...base]
    .filter((c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) !== 127)
    .join('')
    .trim()
    .slice(0, 200);
  return clean || 'upload.csv';
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return buf.length > 0 && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

export function registerImportRoutes(app: FastifyInstance, ctx: WebContext): void {
  const pending = new Map<string, Pending>();
  const sweep = () => {
    const now = Date.now();
    let total = 0;
    for (const [k, p] of [...pending].reverse()) {
      total += p.bytes;
      if (now - p.createdAt > PENDING_TTL_MS || total > PENDING_MAX_BYTES) pending.delete(k);
    }
  };

  app.get(
    '/import',
    { schema: { querystring: { type: 'object', properties: { undone: { type: 'integer', minimum: 1 } } } } },
    async (req, reply) => {
      const services = requireServices(ctx);
      return ctx.render(reply, req, 'import', {
        title: 'Import',
        history: services.trades.listImports(50),
        undone: (req.query as { undone?: number }).undone,
        watch: { enabled: ctx.config.watchImport, dir: ctx.store?.paths.importDir, recent: services.watcherImports.slice(0, 10) },
        limits: UPLOAD_LIMITS,
        zone: services.trades.importTimezone(),
      });
    },
  );

  app.post('/import/preview', { config: { upload: true } }, async (req, reply) => {
    const services = requireServices(ctx);
    if (!req.isMultipart()) {
      throw new AppError('TL_WEB_BAD_REQUEST', 'The upload must be sent as a multipart form.', {
        status: 415,
        remedy: 'Use the form on the Import page.',
      });
    }
    const body = (req.body ?? {}) as Record<string, MultipartFile | MultipartFile[] | MultipartValue | undefined>;
    const raw = body.files;
    const parts = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((p): p is MultipartFile => (p as MultipartFile).type === 'file');
    const files: PendingFile[] = [];
    for (const part of parts) {
      const content = await part.toBuffer();
      if (content.length === 0 && !part.filename) continue;
      const name = uploadName(part.filename);
      const lines = countLines(content);
      if (lines > UPLOAD_LIMITS.rowsPerFile + 1) {
        throw new AppError(
          'TL_WEB_UPLOAD_TOO_LARGE',
          `${name} has ${lines} lines; at most ${UPLOAD_LIMITS.rowsPerFile} rows are accepted per file.`,
          {
            remedy: 'Split the export into smaller files (for example one per week) and upload them again. Nothing was stored.',
          },
        );
      }
      files.push({ name, content, sha256: crypto.createHash('sha256').update(content).digest('hex') });
    }
    if (files.length === 0) {
      throw new AppError('TL_WEB_BAD_REQUEST', 'No file was chosen.', {
        remedy: 'Choose one or more NinjaTrader CSV files, then press Preview.',
      });
    }
    const skip = body.skipInvalid as MultipartValue | undefined;
    const skipInvalid = Boolean(skip && typeof skip.value === 'string' && skip.value !== '');
    const previews: ImportFileResult[] = [];
    for (const f of files)
      previews.push(await services.trades.previewFile({ name: f.name, content: f.content }, { skipInvalid, previewLimit: 200 }));
    sweep();
    const token = crypto.randomBytes(18).toString('base64url');
    pending.set(token, { files, skipInvalid, createdAt: Date.now(), bytes: files.reduce((n, f) => n + f.content.length, 0) });
    return ctx.render(reply, req, 'import-preview', {
      title: 'Import preview',
      previews,
      token,
      skipInvalid,
      anyToAdd: previews.some((p) => p.executionsAdded > 0 && !p.preview?.wouldReject),
    });
  });

  app.post(
    '/import/commit',
    {
      schema: {
        body: {
          type: 'object',
          required: ['token'],
          properties: {
            token: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' },
            skipInvalid: { type: 'string', enum: ['', 'on', '1'] },
          },
        },
      },
    },
    async (req, reply) => {
      const services = requireServices(ctx);
      const body = req.body as { token: string; skipInvalid?: string };
      const p = pending.get(body.token);
      if (!p) {
        throw new AppError('TL_WEB_UPLOAD_EXPIRED', 'This preview has expired or was already imported.', {
          remedy: 'Upload the files again on the Import page (previews are kept for 30 minutes).',
        });
      }
      pending.delete(body.token);
      const skipInvalid = p.skipInvalid || Boolean(body.skipInvalid);
      const results: ImportFileResult[] = [];
      for (const f of p.files) {
        results.push(await services.trades.importFile({ name: f.name, content: f.content }, { skipInvalid, expectedSha256: f.sha256 }));
      }
      req.log.info(
        { files: results.map((r) => ({ file: r.file, status: r.status, added: r.executionsAdded })) },
        'import from the web page',
      );
      return ctx.render(reply, req, 'import-result', { title: 'Import result', results });
    },
  );

  app.post('/import/:id/undo', { schema: { params: ID_PARAMS } }, async (req, reply) => {
    const id = idParam(req);
    requireServices(ctx).trades.undoImport(id);
    return reply.redirect(`/import?undone=${id}`, 303);
  });
}
