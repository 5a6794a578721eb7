import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, type TestContext } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { manualClock } from '../../src/clock.js';
import { dataPaths, loadConfig } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import { type DemoResult, loadDemo } from '../../src/demo/demo.js';
import { silentLogger } from '../../src/log.js';
import { createMarketData } from '../../src/market-data/service.js';
import { createTradesService } from '../../src/trades/trades.service.js';
import { cleanEnv, cliArgv, ROOT } from './cli.js';
import { forUser } from './code-root.js';

/**
 * Real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) and a real tradelog server for
 * browser tests. One browser per test file; each page collects console errors, uncaught page errors and 5xx
 * answers so a test can assert there were none.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT_DIR = path.join(ROOT, 'test-output');

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Hooks = Pick<TestContext, 'after' | 'skip'> | { after: (fn: () => unknown) => void; skip?: (msg?: string) => void };

/**
 * Launch Chromium with a fresh profile, or decide the test can't run: without chromium the test FAILS in CI
 * (CI=true) and is skipped with a printed reason elsewhere. Returns undefined when skipped.
 */
export async function launchBrowser(t: Hooks, extraArgs: string[] = []): Promise<BrowserContext | undefined> {
  if (!fs.existsSync(CHROMIUM)) {
    const reason = `chromium not found at ${CHROMIUM} (install it with "apt-get install -y chromium")`;
    if (process.env.CI === 'true') throw new Error(`${reason}; browser tests cannot be skipped in CI`);
    console.log(`# skipping browser test: ${reason}`);
    t.skip?.(reason);
    return undefined;
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1360, height: 900 },
    timeout: 60_000,
  });
  t.after(async () => {
    await context.close().catch(() => undefined);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  });
  return context;
}

export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  serverErrors: string[];
  /** Everything above, for one assert. */
  all(): string[];
}

/** A new tab that records what went wrong in it. */
export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage();
  const problems: PageProblems = {
    consoleErrors: [],
    pageErrors: [],
    serverErrors: [],
    all() {
      return [...this.consoleErrors, ...this.pageErrors, ...this.serverErrors];
    },
  };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location().url ?? '';
    if (/favicon/i.test(text) || /favicon/i.test(where)) return;
    problems.consoleErrors.push(`console: ${text} (${where})`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 500) problems.serverErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
  return { page, problems };
}

/** Save a full-page screenshot as test-output/<name>.png (test-output/ is git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * A data dir filled with the demo as `tradelog demo` fills it, on a pinned clock: the demo's trades are seeded from
 * the date, so what a test finds in it (a short closed by BuyToCover, markers in the last week) must not depend on
 * the day the test runs.
 */
export async function demoDataDir(dataDir: string, now: number): Promise<DemoResult> {
  const config = loadConfig({ dataDir, logLevel: 'silent' }, {});
  const logger = silentLogger();
  const store = openStore(dataPaths(dataDir), { logger });
  try {
    const trades = createTradesService({ journal: store.journal, importTimezone: config.importTimezone });
    const market = createMarketData({ market: store.market, journal: store.journal, config, logger });
    try {
      return await loadDemo({ trades, market, clock: manualClock(now) });
    } finally {
      await market.close();
    }
  } finally {
    store.close();
  }
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server printed (JSON log lines). */
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnServerOptions {
  dataDir: string;
  env?: Record<string, string>;
  args?: string[];
  /** Run the server as this uid/gid (needs root), e.g. 65534 for permission faults. */
  uid?: number;
  gid?: number;
  /** Pin the server's clock to this instant (epoch ms); default the system clock, as a user runs it. */
  at?: number;
}

/**
 * `bin/tradelog serve --port 0 --data-dir DIR` as a child process, exactly as a user starts it (with `at`: the same
 * program on a pinned clock). Resolves once the server logged its address.
 */
export async function spawnServer(t: Hooks, options: SpawnServerOptions): Promise<ServerProcess> {
  const run = forUser(
    options.uid,
    cliArgv(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', options.dataDir, ...(options.args ?? [])], options.at),
    options.gid,
  );
  const child = spawn(process.execPath, run.args, {
    cwd: run.cwd,
    env: cleanEnv({ TRADELOG_LOG_LEVEL: 'info', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a start takes under a second on a quiet machine, but tens of seconds on a loaded 2-core CI runner.
    const timer = setTimeout(() => reject(new Error(`server did not start within 90 s:\n${out}`)), 90_000);
    const check = () => {
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  let stopped: Promise<number | null> | undefined;
  const stop = () => {
    if (!stopped) {
      if (child.exitCode === null) child.kill('SIGTERM');
      stopped = exited;
    }
    return stopped;
  };
  t.after(() => stop());
  return { url, child, output: () => out, stop };
}

/**
 * Cleanup for resources shared by a whole test file (one browser, one server): registered now, run in reverse
 * order after the file's last test. Pass the returned object where a test context is expected.
 */
export function fileScope(): { after: (fn: () => unknown) => void; skip: (msg?: string) => void } {
  const hooks: (() => unknown)[] = [];
  after(async () => {
    for (const h of hooks.reverse()) await h();
  });
  return { after: (fn) => hooks.push(fn), skip: (msg) => console.log(`# ${msg}`) };
}
