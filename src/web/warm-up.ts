import type { FastifyInstance } from 'fastify';
import { chicagoOffsetMs } from '../calendar/sessions.js';
import { loadSchemaCompilers } from './lazy-schemas.js';
import { numberFormats } from './render.js';

/**
 * What start-up leaves for later: loading what the first `/health` does not need (the schema compilers; see
 * lazy-schemas.ts; the number formats, render.ts; the CME zone's offsets, calendar/sessions.ts) and the steps `afterFirstAnswer` adds (serve: market.db's quick_check) happen once the server
 * listens, after its first answer or after `idleMs`, whichever comes first, so they never delay the first request
 * (a container's health check, the benchmark) and a page's first request finds them done. Each step runs in its
 * own turn of the event loop, between requests. A server built for `inject()` never listens and loads these on
 * first use instead.
 */
export const WARM_UP_STEPS: ReadonlyArray<() => unknown> = [loadSchemaCompilers, numberFormats, () => chicagoOffsetMs(0)];

const added = new WeakMap<FastifyInstance, (() => unknown)[]>();

/** Runs `step` with the warm-up of `app` (before the built-in steps), or never if `app` never listens. */
export function afterFirstAnswer(app: FastifyInstance, step: () => unknown): void {
  added.set(app, [...(added.get(app) ?? []), step]);
}

export function installWarmUp(app: FastifyInstance, idleMs = 1000): void {
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    if (started) return;
    started = true;
    if (timer) clearTimeout(timer);
    void (async () => {
      for (const step of [...(added.get(app) ?? []), ...WARM_UP_STEPS]) {
        await new Promise((resolve) => setImmediate(resolve));
        try {
          await step();
        } catch (err) {
          app.log.warn({ err }, 'warm-up step failed; it runs again on first use');
        }
      }
    })();
  };
  app.addHook('onListen', async () => {
    timer = setTimeout(start, idleMs);
    timer.unref();
  });
  app.addHook('onResponse', (_req, _reply, done) => {
    if (!started && timer) start();
    done();
  });
  app.addHook('onClose', async () => {
    if (timer) clearTimeout(timer);
    started = true;
  });
}
