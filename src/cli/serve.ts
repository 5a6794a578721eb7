import type { Command } from 'commander';
import { openStore, type Store } from '../db/store.js';
import { isAppError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildApp, type HealthReport } from '../web/app.js';
import { listen } from '../web/server.js';
import { type GlobalOptions, makeContext, withGlobalOptions } from './context.js';

export function register(program: Command): void {
  withGlobalOptions(program.command('serve'))
    .description('web app and background jobs in one process')
    .option('--port <port>', 'port (env TRADELOG_PORT, default 5000)')
    .option('--host <host>', 'address to bind (env TRADELOG_HOST, default 127.0.0.1)')
    .action(async (opts: GlobalOptions & { port?: string; host?: string }) => {
      let ctx: ReturnType<typeof makeContext>;
      try {
        ctx = makeContext({ ...opts, logLevel: opts.logLevel ?? 'info' }, { port: opts.port, host: opts.host });
      } catch (err) {
        if (!isAppError(err)) throw err;
        process.stderr.write(`error ${err.code}: ${err.message}\nfix: ${err.remedy}\n`);
        process.exitCode = 2;
        return;
      }
      ctx.appLogger.close();
      const appLogger = createLogger({ level: ctx.config.logLevel, file: ctx.config.logFile, consoleFd: 1 });
      const logger = appLogger.logger;
      let store: Store | undefined;
      let health: HealthReport = { status: 'ok', findings: [] };
      try {
        store = openStore(ctx.paths, { logger });
        health = { status: 'ok', journalMode: store.journal.journalMode, findings: [] };
      } catch (err) {
        if (!isAppError(err)) throw err;
        health = { status: 'fatal', findings: [{ code: err.code, severity: 'fatal', message: err.message, remedy: err.remedy }] };
        logger.error({ code: err.code }, `${err.message} Fix: ${err.remedy}`);
      }
      try {
        const app = await buildApp({ config: ctx.config, store, logger, health: () => health });
        const { address } = await listen({
          app,
          host: ctx.config.host,
          port: ctx.config.port,
          logger,
          onClose: () => {
            store?.close();
            appLogger.close();
          },
        });
        logger.info({ address, dataDir: ctx.config.dataDir, status: health.status }, `tradelog listening on ${address}`);
      } catch (err) {
        store?.close();
        if (!isAppError(err) && (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        const message = isAppError(err)
          ? `error ${err.code}: ${err.message}\nfix: ${err.remedy}`
          : `error TL_WEB_LISTEN: ${(err as Error).message}\nfix: choose another port with --port or TRADELOG_PORT, or stop the process using it.`;
        process.stderr.write(`${message}\n`);
        appLogger.close();
        process.exitCode = 2;
      }
    });
}
