import type { Command } from 'commander';
import { startStorage } from '../db/startup.js';
import { AppError, isAppError, systemCode } from '../errors.js';
import { buildApp } from '../web/app.js';
import { startBackground } from '../web/background.js';
import { listen } from '../web/server.js';
import { afterFirstAnswer } from '../web/warm-up.js';
import { type CliDeps, type GlobalOptions, makeContext, printError, withGlobalOptions } from './context.js';

export function register(program: Command, deps: CliDeps): void {
  withGlobalOptions(program.command('serve'))
    .description('web app and background jobs in one process')
    .option('--port <port>', 'port (env TRADELOG_PORT, default 5000)')
    .option('--host <host>', 'address to bind (env TRADELOG_HOST, default 127.0.0.1)')
    .option(
      '--allowed-hosts <list>',
      'other names the web app answers to, comma-separated, each with an optional port (env TRADELOG_ALLOWED_HOSTS)',
    )
    .option('--trust-proxy <value>', "false, true, or the reverse proxy's addresses/ranges (env TRADELOG_TRUST_PROXY, default false)")
    .action(async (opts: GlobalOptions & { port?: string; host?: string; allowedHosts?: string; trustProxy?: string }) => {
      let ctx: ReturnType<typeof makeContext>;
      try {
        ctx = makeContext(
          opts,
          { port: opts.port, host: opts.host, allowedHosts: opts.allowedHosts, trustProxy: opts.trustProxy },
          'info',
          1,
          deps.clock,
        );
      } catch (err) {
        printError(err, Boolean(opts.json));
        process.exitCode = 2;
        return;
      }
      const { appLogger, logger } = ctx;
      // The doctor first; a fatal result still serves (503 with the finding and its fix), it never exits. A second
      // server on the same data directory is refused (exit 2). market.db's quick_check (a worker thread) waits until
      // the server has answered: it is not on the start path.
      let storage: ReturnType<typeof startStorage>;
      try {
        storage = startStorage(ctx.paths, {
          logger,
          logFile: ctx.config.logFile,
          logStatus: appLogger.status,
          clock: ctx.clock,
          marketCheckAfterMs: null,
        });
      } catch (err) {
        if (!isAppError(err)) throw err;
        logger.fatal({ code: err.code }, `${err.message} Fix: ${err.remedy}`);
        printError(err, false);
        appLogger.close();
        process.exitCode = 2;
        return;
      }
      let address: string;
      try {
        const app = await buildApp({ config: ctx.config, store: storage.store, logger, health: storage.health, clock: ctx.clock });
        afterFirstAnswer(app, () => storage.runDeferredChecks());
        // The scheduler and the import watcher run in this process; app.close() stops them before the databases close.
        if (app.tradelog.services) startBackground(app.tradelog.services, ctx.config, ctx.paths, logger);
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
        // No token for a public address, port taken, address not available: say so and exit 2, databases closed.
        const e = isAppError(err) ? err : listenError(err, ctx.config.host, ctx.config.port);
        logger.fatal({ code: e.code, details: e.details }, `${e.message} Fix: ${e.remedy}`);
        printError(e, ctx.json);
        storage.close();
        appLogger.close();
        process.exitCode = 2;
        return;
      }
      logger.info({ address, dataDir: ctx.config.dataDir, status: storage.health().status }, `tradelog listening on ${address}`);
    });
}

/** Why `listen` failed (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...), as the error docs/errors.md explains. */
function listenError(err: unknown, host: string, port: number): AppError {
  const code = systemCode(err);
  const reason =
    code === 'EADDRINUSE'
      ? 'the port is taken by another process'
      : code === 'EACCES'
        ? 'permission denied (ports below 1024 need root)'
        : code === 'EADDRNOTAVAIL'
          ? 'no network interface has this address'
          : (code ?? (err instanceof Error ? err.message : String(err)));
  return new AppError('TL_WEB_LISTEN', `Cannot listen on ${host}:${port}: ${reason}.`, {
    remedy: 'Choose another port with --port or TRADELOG_PORT (ports below 1024 need root), or stop the process using it.',
    details: { host, port, ...(code ? { systemCode: code } : {}) },
    cause: err,
  });
}
