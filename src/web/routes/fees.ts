import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../errors.js';
import { COST_KINDS } from '../../trades/fees.js';
import type { FeeChange, FeePreview, FeeScheduleInput } from '../../trades/fees.service.js';
import type { CostKind } from '../../trades/importers/types.js';
import { requireServices, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';

/**
 * Settings → Fees: the fee schedules, and a form that previews a change (how many positions change, net before and
 * after) before it is applied. Parse the form, call one service, render.
 */
type FeeForm = Partial<Record<'scope' | 'scopeName' | 'root' | 'side' | 'from' | 'action' | CostKind, string>>;

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
const FORM_SCHEMA = {
  type: 'object',
  properties: {
    scope: { type: 'string', enum: ['account', 'firm'] },
    scopeName: text(200),
    root: text(10),
    side: { type: 'string', enum: ['both', 'buy', 'sell'] },
    from: text(20),
    action: { type: 'string', enum: ['preview', 'apply'] },
    ...Object.fromEntries(COST_KINDS.map((k) => [k, text(20)])),
  },
} as const;

type Parsed = { ok: true; input: FeeScheduleInput } | { ok: false; errors: Record<string, string> };

function parseForm(b: FeeForm): Parsed {
  const errors: Record<string, string> = {};
  const amounts: FeeScheduleInput['amounts'] = {};
  for (const k of COST_KINDS) {
    const v = (b[k] ?? '').trim().replace(/^\$\s*/, '');
    if (v === '') continue;
    if (!/^-?\d*\.?\d+$/.test(v)) errors[k] = `"${b[k]}" is not an amount: dollars per contract, e.g. 0.35.`;
    else amounts[k] = Number(v);
  }
  const name = (b.scopeName ?? '').trim();
  if (name === '') errors.scopeName = 'Enter the account or the firm the schedule is for.';
  if ((b.root ?? '').trim() === '') errors.root = 'Enter a root such as MNQ, or * for every root.';
  if ((b.from ?? '').trim() === '') errors.from = 'Enter the first trading day, YYYY-MM-DD.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      ...(b.scope === 'firm' ? { firm: name } : { account: name }),
      root: b.root ?? '',
      side: (b.side ?? 'both') as 'both' | 'buy' | 'sell',
      from: b.from ?? '',
      amounts,
    },
  };
}

/** The service's field names → the form's. */
const FIELD_OF: Record<string, string> = { account: 'scopeName', firm: 'scopeName', root: 'root', from: 'from', side: 'side' };

function page(
  ctx: WebContext,
  extra: { values?: FeeForm; errors?: Record<string, string>; preview?: FeePreview; removing?: number; saved?: string } = {},
) {
  const { fees, accounts } = requireServices(ctx);
  return {
    title: 'Fees',
    schedules: fees.list(),
    accounts: accounts.list().accounts,
    kinds: COST_KINDS,
    values: extra.values ?? { scope: 'account', side: 'both' },
    errors: extra.errors ?? {},
    preview: extra.preview,
    removing: extra.removing,
    saved: extra.saved,
  };
}

function refused(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, values: FeeForm, err: unknown) {
  if (!isAppError(err) || err.status >= 500) throw err;
  const field = typeof err.details?.field === 'string' ? (FIELD_OF[err.details.field] ?? err.details.field) : 'form';
  return ctx.render(reply, req, 'fees', page(ctx, { values, errors: { [field]: `${err.message} ${err.remedy}` } }), err.status);
}

export function registerFeeRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/settings/fees',
    { schema: { querystring: { type: 'object', properties: { saved: { type: 'string', maxLength: 40 } } } } },
    async (req, reply) => ctx.render(reply, req, 'fees', page(ctx, { saved: (req.query as { saved?: string }).saved })),
  );

  app.post('/settings/fees', { schema: { body: FORM_SCHEMA } }, async (req, reply) => {
    const { fees } = requireServices(ctx);
    const values = req.body as FeeForm;
    const parsed = parseForm(values);
    if (!parsed.ok) return ctx.render(reply, req, 'fees', page(ctx, { values, errors: parsed.errors }), 400);
    const change: FeeChange = { set: parsed.input };
    try {
      if (values.action !== 'apply') return ctx.render(reply, req, 'fees', page(ctx, { values, preview: fees.preview(change) }));
      const r = fees.apply(change);
      return reply.redirect(`/settings/fees?saved=${r.positionsChanged}`, 303);
    } catch (err) {
      return refused(ctx, req, reply, values, err);
    }
  });

  app.post(
    '/settings/fees/:id/remove',
    {
      schema: {
        params: ID_PARAMS,
        body: { type: 'object', properties: { action: { type: 'string', enum: ['preview', 'apply'] } } },
      },
    },
    async (req, reply) => {
      const { fees } = requireServices(ctx);
      const id = idParam(req);
      const change: FeeChange = { remove: id };
      try {
        if ((req.body as { action?: string }).action !== 'apply')
          return ctx.render(reply, req, 'fees', page(ctx, { preview: fees.preview(change), removing: id }));
        const r = fees.apply(change);
        return reply.redirect(`/settings/fees?saved=${r.positionsChanged}`, 303);
      } catch (err) {
        return refused(ctx, req, reply, {}, err);
      }
    },
  );
}
