import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/**
 * A record id in an address (`/positions/:id`, `/import/:id/undo`): a canonical decimal integer, 1 or more, no
 * sign, no leading zero, no exponent or hex (`0x1`, `1e0`, `+1`, ` 1` and `01` are not 1). The schema refuses other
 * forms with 400 before any handler runs; the schema's type-coercion would otherwise read "0x1" as 1.
 */
export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
} as const;

/** The id of a route declared with ID_PARAMS, as a number; above 2^53 − 1 it names nothing (404). */
export function idParam(req: FastifyRequest): number {
  const raw = (req.params as { id: string }).id;
  const id = Number(raw);
  if (!Number.isSafeInteger(id)) {
    throw new AppError('TL_WEB_NOT_FOUND', `No record has the id ${raw}.`, { remedy: 'Check the id in the address.' });
  }
  return id;
}
