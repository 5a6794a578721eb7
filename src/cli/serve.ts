import type { Command } from 'commander';
import { startStorage } from '../db/startup.js';
import { isAppError } from '../errors.js';
import { buildApp } from '../web/app.js';
import { startBackground } from '../web/background.js';
import { listen } from '../web/server.js';
import { afterFirstAnswer } from '../web/warm-up.js';
import { type GlobalOptions, makeContext, printError, withGlobalOptions } from './context.js';

export function register(program: Command): void {
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
        );
      } catch (err) {
        if (!isAppError(err)) throw err;
        process.stderr.write(`error ${err.code}: ${err.message}\nfix: ${err.remedy}\n`);
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
        const app = await buildApp({ config: ctx.config, store: storage.store, logger, health: storage.health });
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
        const code = (err as { code?: string }).code;
        const message = isAppError(err)
          ? `error ${err.code}: ${err.message}\nfix: ${err.remedy}`
          : `error TL_WEB_LISTEN: cannot listen on ${ctx.config.host}:${ctx.config.port} (${code ?? String(err)}).\nfix: choose another port with --port or TRADELOG_PORT (ports below 1024 need root), or stop the process using it.`;
        logger.fatal({ code }, message.replace('\nfix:', ' Fix:'));
        process.stderr.write(`${message}\n`);
        storage.close();
        appLogger.close();
        process.exitCode = 2;
        return;
      }
      logger.info({ address, dataDir: ctx.config.dataDir, status: storage.health().status }, `tradelog listening on ${address}`);
    });
}
