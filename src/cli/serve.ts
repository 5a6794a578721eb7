import type { Command } from 'commander';
import { startStorage } from '../db/startup.js';
import { createLogger } from '../log.js';
import { buildApp } from '../web/app.js';
import { listen } from '../web/server.js';
import { type GlobalOptions, makeContext, withGlobalOptions } from './context.js';

export function register(program: Command): void {
  withGlobalOptions(program.command('serve'))
    .description('web app and background jobs in one process')
    .option('--port <port>', 'port (env TRADELOG_PORT, default 5000)')
    .option('--host <host>', 'address to bind (env TRADELOG_HOST, default 127.0.0.1)')
    .action(async (opts: GlobalOptions & { port?: string; host?: string }) => {
      const ctx = makeContext({ ...opts, logLevel: opts.logLevel ?? 'info' }, { port: opts.port, host: opts.host });
      ctx.appLogger.close();
      const appLogger = createLogger({ level: ctx.config.logLevel, file: ctx.config.logFile, consoleFd: 1 });
      const logger = appLogger.logger;
      // The doctor first; a fatal result still serves (503 with the finding and its fix), it never exits.
      const storage = startStorage(ctx.paths, { logger, logFile: ctx.config.logFile, logStatus: appLogger.status });
      const app = await buildApp({ store: storage.store, logger, health: storage.health });
      let address: string;
      try {
        ({ address } = await listen({
          app,
          host: ctx.config.host,
          port: ctx.config.port,
          logger,
          onClose: () => {
            storage.close();
            appLogger.close();
          },
        }));
      } catch (err) {
        // Port taken, address not available: say so and exit 2, with the databases closed cleanly.
        logger.fatal({ code: (err as { code?: string }).code }, `cannot listen on ${ctx.config.host}:${ctx.config.port}: ${String(err)}`);
        storage.close();
        appLogger.close();
        process.exitCode = 2;
        return;
      }
      logger.info({ address, dataDir: ctx.config.dataDir, status: storage.health().status }, `tradelog listening on ${address}`);
    });
}
