import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { checkCsrf } from './security.js';

/** Upload limits for the import page (per request). */
export const UPLOAD_LIMITS = { fileBytes: 20 * 1024 * 1024, files: 20, rowsPerFile: 200_000 } as const;

/**
 * Multipart parsing, only where uploads are taken. `register` adds routes to a scope where the multipart parser
 * exists; only the routes among them marked `config: { upload: true }` accept a multipart body (any other answers
 * 415 before reading it), and everywhere outside the scope Fastify has no parser for it (415 as well).
 *
 * By the time a part is read, the request has passed the Host, Origin and sign-in checks (onRequest hooks); the
 * CSRF token is checked as the fields arrive, before the first file is read (the form sends its `_csrf` field
 * first), so a request that fails it is refused having buffered at most the small fields before it.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The multipart body has been read whole (errors after this are not the upload's). */
    uploadRead: boolean;
  }
}

export function registerUploadRoutes(app: FastifyInstance, register: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.decorateRequest('uploadRead', false);
    scope.addHook('preHandler', async (req) => {
      req.uploadRead = true;
    });
    scope.addHook('onRequest', async (req) => {
      if (!req.routeOptions.config.upload && (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
        throw notAnUpload();
      }
    });
    await scope.register(multipart, {
      attachFieldsToBody: true,
      async onFile(this: FastifyRequest, part: MultipartFile) {
        // Only the fields sent before this file's first part count: the token must come before the files.
        const names = Object.keys(part.fields);
        const at = names.indexOf(part.fieldname);
        const before = at < 0 ? names : names.slice(0, at);
        checkCsrf(this, Object.fromEntries(before.map((name) => [name, part.fields[name]])));
        await part.toBuffer();
      },
      limits: {
        fileSize: UPLOAD_LIMITS.fileBytes,
        files: UPLOAD_LIMITS.files,
        fields: 20,
        parts: UPLOAD_LIMITS.files + 20,
        fieldSize: 100_000,
        headerPairs: 20,
      },
    });
    register(scope);
  });
}

function notAnUpload(): AppError {
  return new AppError('TL_WEB_BAD_REQUEST', 'This address takes no file upload.', {
    status: 415,
    remedy: 'Send a form (application/x-www-form-urlencoded) or JSON; files are uploaded on the Import page.',
  });
}
