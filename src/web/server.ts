import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * Listens, and shuts down cleanly on SIGTERM/SIGINT: stop accepting requests, checkpoint and close the databases
 * (`wal_checkpoint(TRUNCATE)`, so `docker stop` leaves no -wal behind), then exit — with a hard timeout, because
 * a stuck destination must not keep the process alive (storage-reliability.md E10b).
 */
export interface ServeOptions {
  app: FastifyInstance;
  host: string;
  port: number;
  logger: Logger;
  /** Called once after the server stopped accepting requests. Must not throw. */
  onClose: () => void;
  shutdownTimeoutMs?: number;
}

export async function listen(options: ServeOptions): Promise<{ address: string; stop: (signal?: string) => Promise<void> }> {
  const { app, logger } = options;
  const address = await app.listen({ host: options.host, port: options.port });
  let stopping: Promise<void> | undefined;
  const stop = (signal?: string): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, options.shutdownTimeoutMs ?? 10_000);
      timer.unref();
      try {
        await app.close();
      } catch (err) {
        logger.error({ err }, 'closing the HTTP server failed');
      }
      options.onClose();
      clearTimeout(timer);
    })();
    return stopping;
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void stop(sig).then(() => process.exit(0));
    });
  }
  return { address, stop };
}
