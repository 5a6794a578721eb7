import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { systemClock } from '../../clock.js';
import { AppError } from '../../errors.js';
import type { ImportFileResult } from '../../trades/import.service.js';
import { ADAPTERS, adapterFor } from '../../trades/importers/formats.js';
import { UPLOAD_LIMITS } from '../app.js';
import { requireServices, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';
import { type PendingFile, type PendingReadOptions, PendingUploads, UploadSlots } from '../pending-uploads.js';
import { FORM_BODY_LIMIT } from '../security.js';

/** Uploads received and previewed at once (pending-uploads.ts UploadSlots). */
const UPLOAD_SLOTS = 2;

/**
 * Import page: upload one or more NinjaTrader CSVs, see what would be added, skipped as duplicate and rejected
 * (a preview stores nothing), then commit; the history lists every import with "Undo".
 *
 * Uploaded bytes stay in memory between preview and commit (pending-uploads.ts: counted from the moment they are
 * received, within fixed limits); the commit refuses a file whose content differs from the one previewed. Parsing,
 * checking and storing run on the import worker (src/trades/import-pool.ts), so pages and /health keep answering
 * during an import; a file's rows are counted by the CSV reader itself (TL_IMPORT_TOO_MANY_ROWS past the limit).
 */

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

/** What users call each format (`Tradovate Fills`), for the pages. */
export const FORMAT_LABELS: Record<string, string> = Object.fromEntries(ADAPTERS.map((a) => [a.format, a.label]));

type Fields = Record<string, MultipartFile | MultipartFile[] | MultipartValue | undefined>;

function fieldText(body: Fields, name: string): string {
  const v = body[name] as MultipartValue | undefined;
  return v && typeof v.value === 'string' ? v.value.trim() : '';
}

/** The upload form's reading fields, checked: a format tradelog reads, a date order, an account name. */
function readOptions(body: Fields): PendingReadOptions {
  const out: PendingReadOptions = {};
  const format = fieldText(body, 'format');
  if (format) out.format = adapterFor(format).format;
  const dateOrder = fieldText(body, 'dateOrder');
  if (dateOrder === 'dmy' || dateOrder === 'mdy') out.dateOrder = dateOrder;
  else if (dateOrder) {
    throw new AppError('TL_WEB_BAD_REQUEST', `"${dateOrder.slice(0, 20)}" is not a date order.`, {
      remedy: 'Choose day first or month first in the date order field, or leave it to the setting.',
    });
  }
  const account = fieldText(body, 'account');
  if (account.length > 200) {
    throw new AppError('TL_WEB_BAD_REQUEST', 'The account name is longer than 200 characters.', { remedy: 'Shorten the account field.' });
  }
  if (account) out.account = account;
  return out;
}

export function registerImportRoutes(app: FastifyInstance, ctx: WebContext): void {
  const pending = new PendingUploads(systemClock);
  const slots = new UploadSlots(UPLOAD_SLOTS);
  const held = new WeakMap<FastifyRequest, () => void>();

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
        formats: ADAPTERS.map((a) => ({ name: a.format, label: a.label })),
        dateOrder: services.trades.importSettings().dateOrder,
      });
    },
  );

  app.post(
    '/import/preview',
    {
      config: { upload: true, writeTurn: false },
      // after the Host, Origin and sign-in checks, before the body is read: wait for a slot, hold it to the answer
      onRequest: async (req, reply) => {
        const release = await slots.take();
        held.set(req, release);
        if (reply.raw.closed || req.raw.destroyed) release();
        else reply.raw.once('close', release);
      },
      onResponse: async (req) => held.get(req)?.(),
    },
    async (req, reply) => {
      const services = requireServices(ctx);
      if (!req.isMultipart()) {
        throw new AppError('TL_WEB_BAD_REQUEST', 'The upload must be sent as a multipart form.', {
          status: 415,
          remedy: 'Use the form on the Import page.',
        });
      }
      const body = (req.body ?? {}) as Fields;
      const read = readOptions(body);
      const raw = body.files;
      const parts = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((p): p is MultipartFile => (p as MultipartFile).type === 'file');
      const files: PendingFile[] = [];
      for (const part of parts) {
        const content = await part.toBuffer();
        if (content.length === 0 && !part.filename) continue;
        // its sha256 comes with its preview (the worker reads every byte anyway)
        files.push({ name: uploadName(part.filename), content, sha256: '' });
      }
      if (files.length === 0) {
        throw new AppError('TL_WEB_BAD_REQUEST', 'No file was chosen.', {
          remedy: 'Choose one or more NinjaTrader CSV files, then press Preview.',
        });
      }
      const skip = body.skipInvalid as MultipartValue | undefined;
      const skipInvalid = Boolean(skip && typeof skip.value === 'string' && skip.value !== '');
      const token = pending.add(files, skipInvalid, read);
      const previews: ImportFileResult[] = [];
      try {
        for (const f of files) {
          const p = await services.trades.previewFile(
            { name: f.name, content: f.content },
            { skipInvalid, previewLimit: 200, maxRows: UPLOAD_LIMITS.rowsPerFile, ...read },
          );
          f.sha256 = p.sha256;
          previews.push(p);
        }
      } catch (err) {
        pending.release(token);
        throw err;
      }
      pending.ready(
        token,
        previews.reduce((n, p) => n + p.rowsRead, 0),
      );
      return ctx.render(reply, req, 'import-preview', {
        title: 'Import preview',
        previews,
        token,
        skipInvalid,
        anyToAdd: previews.some((p) => p.executionsAdded > 0),
        formatLabels: FORMAT_LABELS,
      });
    },
  );

  app.post(
    '/import/commit',
    {
      config: { writeTurn: false },
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
      const p = pending.take(body.token);
      if (!p) {
        throw new AppError('TL_WEB_UPLOAD_EXPIRED', 'This preview has expired or was already imported.', {
          remedy: 'Upload the files again on the Import page (previews are kept for 30 minutes).',
        });
      }
      const skipInvalid = p.skipInvalid || Boolean(body.skipInvalid);
      const results: ImportFileResult[] = [];
      for (const f of p.files) {
        results.push(
          await services.trades.importFile({ name: f.name, content: f.content }, { skipInvalid, expectedSha256: f.sha256, ...p.read }),
        );
      }
      req.log.info(
        { files: results.map((r) => ({ file: r.file, status: r.status, added: r.executionsAdded })) },
        'import from the web page',
      );
      return ctx.render(reply, req, 'import-result', { title: 'Import result', results, formatLabels: FORMAT_LABELS });
    },
  );

  // Undo asks first: the history's "Undo" opens this page, whose form confirms (no script needed).
  app.get('/import/:id/undo', { schema: { params: ID_PARAMS } }, async (req, reply) => {
    const id = idParam(req);
    const record = requireServices(ctx).trades.getImport(id);
    if (!record) {
      throw new AppError('TL_IMPORT_NOT_FOUND', `There is no import #${id}.`, {
        remedy: 'Open the Import page and pick an import from its history.',
        details: { importId: id },
      });
    }
    const undoable = record.status === 'imported' && !record.undoneAt;
    return ctx.render(reply, req, 'import-undo', { title: `Undo import #${id}?`, record, undoable });
  });

  app.post(
    '/import/:id/undo',
    {
      // The form carries the CSRF field and the confirmation only.
      bodyLimit: FORM_BODY_LIMIT,
      config: { writeTurn: false },
      schema: { params: ID_PARAMS, body: { type: 'object', properties: { confirm: { type: 'string', maxLength: 10 } } } },
    },
    async (req, reply) => {
      const id = idParam(req);
      // Without the confirmation's field nothing is removed: the request is sent to the page that asks.
      if ((req.body as { confirm?: string } | undefined)?.confirm !== 'yes') return reply.redirect(`/import/${id}/undo`, 303);
      await requireServices(ctx).trades.undoImport(id);
      return reply.redirect(`/import?undone=${id}`, 303);
    },
  );
}
