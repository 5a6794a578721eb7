import * as z from 'zod';
import { isValidZone } from '../../calendar/zone.js';
import { AppError } from '../../errors.js';
import { normName } from './columns.js';

/**
 * The generic CSV's column mapping: made once on the import page for a file no adapter knows, saved under a name
 * and the header signature it was made for (the next file with the same header is recognised by it), and given
 * on the CLI as `--mapping NAME`. Column values are header names as the file writes them. A mapping arrives from
 * a browser form, so it is checked whole before use.
 */
const column = z.string().trim().min(1).max(200);

export const columnMappingSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** headerSignature() of the header it was made for. */
    signature: z.string().max(20_000).optional(),
    columns: z
      .object({
        time: column,
        contract: column,
        side: column.optional(),
        quantity: column,
        price: column,
        account: column.optional(),
        commission: column.optional(),
        exchangeFee: column.optional(),
        clearingFee: column.optional(),
        nfaFee: column.optional(),
        platformFee: column.optional(),
        otherFee: column.optional(),
        fillId: column.optional(),
        orderId: column.optional(),
        openClose: column.optional(),
      })
      .strict(),
    /** The account of every row when the file has no account column. */
    account: z.string().trim().min(1).max(200).optional(),
    /** The side is the sign of the quantity (negative = sell) instead of a side column. */
    signedQuantity: z.boolean().optional(),
    dateOrder: z.enum(['mdy', 'dmy']).optional(),
    decimal: z.enum(['.', ',']).optional(),
    delimiter: z.enum([',', ';', '\t']).optional(),
    zone: z.string().refine(isValidZone, { message: 'not an IANA time zone' }).optional(),
  })
  .strict()
  .refine((m) => m.columns.side !== undefined || m.signedQuantity === true, {
    message: 'the mapping needs a side column, or signedQuantity for a quantity whose sign is the side',
  });

export type ColumnMapping = z.infer<typeof columnMappingSchema>;

/** A mapping from outside (a form, a settings file), checked: TL_IMPORT_BAD_MAPPING names the field that is wrong. */
export function parseColumnMapping(input: unknown): ColumnMapping {
  const r = columnMappingSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'mapping';
  throw new AppError('TL_IMPORT_BAD_MAPPING', `The column mapping is not valid: ${where}: ${issue?.message ?? 'invalid'}.`, {
    remedy: 'Correct the field named in the mapping (Import → column mapping) and save it again.',
    details: { field: where },
  });
}

/** The header's column names, normalised and in order: what a saved mapping is matched by. */
export function headerSignature(cells: readonly string[]): string {
  return cells
    .map(normName)
    .filter((c, i, all) => c !== '' || i < all.length - 1)
    .join('|');
}
