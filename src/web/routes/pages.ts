import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { registerUploadRoutes } from '../uploads.js';
import { registerApiRoutes } from './api.js';
import { registerChartRoutes } from './charts.js';
import { registerDashboardRoutes } from './dashboard.js';
import { registerDemoRoutes } from './demo.js';
import { registerExportRoutes } from './export.js';
import { registerFeeRoutes } from './fees.js';
import { registerImportRoutes } from './import.js';
import { registerPositionRoutes } from './positions.js';
import { registerSettingsRoutes } from './settings.js';
import { registerStatisticsRoutes } from './statistics.js';
import { registerStatusRoutes } from './status.js';

/** Every page of the app (navigation order: Dashboard, Positions, Charts, Statistics, Import, Settings, Status) and the API. */
export function registerPageRoutes(app: FastifyInstance, ctx: WebContext): void {
  registerDashboardRoutes(app, ctx);
  registerDemoRoutes(app, ctx);
  registerPositionRoutes(app, ctx);
  registerChartRoutes(app, ctx);
  registerStatisticsRoutes(app, ctx);
  // The import routes live where multipart is parsed; only the upload itself takes one.
  registerUploadRoutes(app, (scope) => registerImportRoutes(scope, ctx));
  registerSettingsRoutes(app, ctx);
  registerFeeRoutes(app, ctx);
  registerStatusRoutes(app, ctx);
  registerApiRoutes(app, ctx);
  registerExportRoutes(app, ctx);
}
