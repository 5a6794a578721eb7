/**
 * The layers of tradelog, written down once. test/layers.test.ts reads these rules, parses every import and
 * export-from (static, type-only and dynamic) of every module under src/, and fails on an import a rule forbids.
 *
 *   faces        src/cli, src/web           parse, call one service, render
 *   application  src/demo, src/legacy,      services that compose several domains
 *                src/exports
 *   domain       src/trades, src/market-data, src/instruments, src/calendar, src/settings
 *   storage      src/db                     opens SQLite; knows nothing of trades or bars
 *   base         src/*.ts                   errors, config, log, clock
 *
 * Every directory under src/ belongs to one layer (a new one is added here). The browser's scripts under
 * src/web/public/ are not modules of the program: they may load only each other.
 */
export type Layer = 'faces' | 'application' | 'domain' | 'storage' | 'base';

/** Directories of each layer, relative to the repository root, with a trailing slash. `base` is the files in src/. */
export const LAYERS: Record<Exclude<Layer, 'base'>, readonly string[]> = {
  faces: ['src/cli/', 'src/web/'],
  application: ['src/demo/', 'src/legacy/', 'src/exports/'],
  domain: ['src/trades/', 'src/market-data/', 'src/instruments/', 'src/calendar/', 'src/settings/'],
  storage: ['src/db/'],
};

/** Browser scripts: served as files, never imported by the program. */
export const BROWSER_DIR = 'src/web/public/';

export interface LayerRule {
  /** The rule in words, for the failure message. */
  rule: string;
  /** Modules the rule applies to: path prefixes from the repository root ("src/" for every module). */
  from: readonly string[];
  /** Modules under these prefixes are exempt. */
  except?: readonly string[];
  /** Forbidden imports: path prefixes of modules ("src/web/", "src/errors") or package names ("better-sqlite3"). */
  forbid?: readonly string[];
  /** Instead of `forbid`: only modules under these prefixes may be imported (packages included: none). */
  only?: readonly string[];
}

export const LAYER_RULES: readonly LayerRule[] = [
  {
    rule: 'domain and application code never import the CLI or the web app',
    from: [...LAYERS.domain, ...LAYERS.application],
    forbid: LAYERS.faces,
  },
  {
    rule: 'src/db never imports domain code (nor what is built on it)',
    from: LAYERS.storage,
    forbid: [...LAYERS.domain, ...LAYERS.application, ...LAYERS.faces],
  },
  {
    rule: 'src/trades never imports src/market-data (a service above both composes them, e.g. src/legacy)',
    from: ['src/trades/'],
    forbid: ['src/market-data/'],
  },
  {
    rule: 'only src/db opens SQLite (imports better-sqlite3)',
    from: ['src/'],
    except: LAYERS.storage,
    forbid: ['better-sqlite3', 'node:sqlite', 'sqlite3'],
  },
  {
    rule: 'base modules (src/*.ts) import no layer above them',
    from: ['src/'],
    except: [...LAYERS.faces, ...LAYERS.application, ...LAYERS.domain, ...LAYERS.storage],
    forbid: [...LAYERS.faces, ...LAYERS.application, ...LAYERS.domain, ...LAYERS.storage],
  },
  {
    rule: "the browser's scripts load only each other",
    from: [BROWSER_DIR],
    only: [BROWSER_DIR],
  },
];
