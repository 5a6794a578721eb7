import type { Logger } from 'pino';
import type { Config, DataPaths } from '../config.js';
import { startImportWatcher } from '../trades/watcher.js';
import type { Services } from './services.js';

/**
 * The background work of `serve`, in the same process: the market-data scheduler (keeps the bars of every traded
 * instrument fresh; its interval is a setting, 0 = off) and, when TRADELOG_WATCH_IMPORT is on, the watched
 * import folder. Both are stopped (and their running job finished or cancelled) before the databases close.
 */
export function startBackground(services: Services, config: Config, paths: DataPaths, logger: Logger): void {
  const { trades, market } = services;
  const instruments = (): string[] => {
    const roots = new Set((trades.stats({}, { by: 'instrument' }).groups ?? []).map((g) => g.key));
    for (const p of trades.listPositions({ status: 'open' })) roots.add(p.root);
    return [...roots];
  };
  services.scheduler = market.createScheduler(instruments);
  services.scheduler.start();
  if (config.watchImport) {
    services.watcher = startImportWatcher({
      dir: paths.importDir,
      importFile: (file, options) => trades.importFile({ path: file }, { ...options, skipKnownContent: true }),
      logger,
      onImport: (result) => {
        services.watcherImports.unshift(result);
        services.watcherImports.length = Math.min(services.watcherImports.length, 50);
      },
    });
  }
}
