import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { registerStatusRoutes } from './status.js';

/** Every page of the app (navigation order: Dashboard, Positions, Charts, Statistics, Import, Settings, Status). */
export function registerPageRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/', async (req, reply) => ctx.render(reply, req, 'dashboard', { title: 'Dashboard', empty: true }));
  registerStatusRoutes(app, ctx);
}
