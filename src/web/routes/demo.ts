import type { FastifyInstance } from 'fastify';
import { loadDemo } from '../../demo/demo.js';
import { requireServices, type WebContext } from '../context.js';

/** "Load demo data" on the empty dashboard: the same as `tradelog demo`, refused when the journal holds anything. */
export function registerDemoRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post('/demo', async (req, reply) => {
    const { trades, market } = requireServices(ctx);
    const result = await loadDemo({ trades, market, clock: ctx.clock });
    req.log.info(result, 'demo data loaded from the dashboard');
    return reply.redirect('/', 303);
  });
}
