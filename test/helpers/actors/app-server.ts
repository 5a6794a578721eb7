// The real server stack (startStorage → buildApp → listen with the SIGTERM/SIGINT handlers) plus two test routes
// that go through the real settings repository: GET /test/settings (a read), POST /test/settings/:key (a write in
// BEGIN IMMEDIATE). Run as a child process, often as uid 65534. Prints {"address": …} once listening.
// Env: DATA_DIR, JOURNAL_MODE (optional: wal|delete), LOG_FILE (optional).
import { z } from 'zod';
import { dataPaths } from '../../../src/config.js';
import { startStorage } from '../../../src/db/startup.js';
import { createLogger } from '../../../src/log.js';
import { createSettingsRepo } from '../../../src/settings/settings.repo.js';
import { buildApp } from '../../../src/web/app.js';
import { listen } from '../../../src/web/server.js';

const paths = dataPaths(process.env.DATA_DIR ?? '');
const appLogger = createLogger({ level: 'info', file: process.env.LOG_FILE, consoleFd: 2 });
const logger = appLogger.logger;
const mode = process.env.JOURNAL_MODE as 'wal' | 'delete' | undefined;
const storage = startStorage(paths, {
  logger,
  logFile: process.env.LOG_FILE,
  logStatus: appLogger.status,
  backup: false,
  ...(mode ? { journalMode: mode } : {}),
});
const app = await buildApp({ store: storage.store, logger, health: storage.health });
const value = z.string();
app.get('/test/settings', async () => {
  const store = storage.store;
  if (!store) throw new Error('no store');
  return createSettingsRepo(store.journal).all();
});
app.post<{ Params: { key: string } }>('/test/settings/:key', async (req) => {
  const store = storage.store;
  if (!store) throw new Error('no store');
  createSettingsRepo(store.journal).set(req.params.key, value, 'v');
  return { ok: true };
});
const { address } = await listen({
  app,
  host: '127.0.0.1',
  port: 0,
  logger,
  onClose: () => {
    storage.close();
    appLogger.close();
  },
});
process.stdout.write(`${JSON.stringify({ address, status: storage.health().status })}\n`);
