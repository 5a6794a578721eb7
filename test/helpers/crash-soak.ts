import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { rng } from '../../src/demo/demo.js';
import { BIN, cleanEnv } from './cli.js';
import { waitFor } from './wait.js';
import { startYahooStub, type YahooStub } from './yahoo-stub.js';

/**
 * Crash soak (issue 9 §6): the real server (`bin/tradelog serve`, as users run it) under a mixed load — web imports
 * through the upload + confirm flow, journal edits (note, tags, verdict), update-from-API jobs against the local
 * Yahoo stub, chart reads — is killed with SIGKILL at a random moment and started again, `runs` times. After every
 * restart:
 * - the server comes back by itself: /health answers 200 with status "ok" (no repair, no one deleting a file);
 * - `PRAGMA integrity_check` is ok on journal.db and market.db (a read-only connection beside the server);
 * - every write the client saw acknowledged is there, read back through the API: each acknowledged import's positions
 *   and executions, each acknowledged journal edit (or the one sent after it whose answer the kill swallowed), and at
 *   least as many bars as the client last saw stored;
 * - no import is half-stored: every import whose confirmation was sent has all of its executions or none (the API's
 *   positions, and the executions table itself), and keeps that answer on every later restart.
 *
 * Kill moments come from a seeded generator (mulberry32): the same seed gives the same sequence of delays and kinds
 * of kill, so a failure can be replayed with its seed (the load's own timing still varies from run to run). About one
 * kill in seven lands during start-up (migrations, WAL recovery), the others while the load runs.
 */
export interface SoakOptions {
  runs: number;
  seed: number;
  dataDir: string;
  /** Longest time the load runs before the kill (ms). */
  maxLoadMs?: number;
  /** Share of kills made during start-up instead of under load. */
  startupKillShare?: number;
  /**
   * Kill under load only once an import of this run has been acknowledged (instead of after a random delay), so a
   * check that needs one does not depend on how fast a busy machine answers.
   */
  killAfterAcknowledgedImport?: boolean;
  /** Progress lines (one per run). */
  log?: (line: string) => void;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Called after each kill, with the server down (the checker's own test damages the journal here). */
  afterKill?: (state: { run: number; journalDb: string; acknowledgedAccounts: string[] }) => void;
}

export interface SoakReport {
  seed: number;
  runs: number;
  kills: { total: number; duringStartup: number; underLoad: number };
  imports: { confirmed: number; acknowledged: number; storedWithoutAnswer: number; lostWithoutAnswer: number };
  edits: { sent: number; acknowledged: number };
  jobs: { started: number; acknowledged: number };
  chartReads: number;
  /** Acknowledged writes read back after restarts (one per import, edit and bar count, per restart). */
  checks: { restarts: number; integrity: number; acknowledgedWrites: number; imports: number };
  failures: string[];
  ms: number;
}

/** mulberry32: a small seeded generator, the same sequence for the same seed (the demo's). */
export const seededRandom = rng;

interface ImportAttempt {
  account: string;
  positions: number;
  executions: number;
  acknowledged: boolean;
  /** What a restart showed when the answer was lost: the import is then held to it. */
  settled?: 'all' | 'none';
}

interface Journal {
  note: string;
  tags: string[];
  validity: 'valid' | 'invalid' | null;
}

interface EditState {
  acknowledged: Journal | undefined;
  /** Sent after the acknowledged one, answer not seen. */
  unanswered: Journal | undefined;
}

const UNTOUCHED: Journal = { note: '', tags: [], validity: null };
const sameJournal = (a: Journal, b: Journal) =>
  a.note === b.note && a.validity === b.validity && a.tags.length === b.tags.length && a.tags.every((t, i) => t === b.tags[i]);
const showJournal = (j: Journal | undefined) => (j ? JSON.stringify(j) : 'untouched');

/** A NinjaTrader executions CSV for one account: `roundTrips` closed MNQ positions of two fills each. */
export function soakCsv(account: string, roundTrips: number): string {
  const lines = ['Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation'];
  for (let k = 0; k < roundTrips; k++) {
    const minute = 30 + k * 2;
    const time = (m: number) => `10/7/2025 ${9 + Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:00 AM`;
    const price = 21000 + (k % 20);
    lines.push(`MNQ 12-25,Buy,1,${price}.00,${time(minute)},${account}-e${k},Entry,1 L,${account}-o${k}e,Entry,$0.52,1,${account},Soak,`);
    lines.push(
      `MNQ 12-25,Sell,1,${price + 2}.00,${time(minute + 1)},${account}-x${k},Exit,-,${account}-o${k}x,Exit,$0.52,1,${account},Soak,`,
    );
  }
  return `${lines.join('\n')}\n`;
}

class ServerProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  readonly ready: Promise<string | undefined>;
  readonly exited: Promise<void>;
  private tail: string[] = [];

  constructor(dataDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.tail.push(...d.toString().split('\n').filter(Boolean));
      this.tail = this.tail.slice(-60);
    };
    this.child.stderr?.on('data', keep);
    let buf = '';
    this.ready = new Promise((resolve) => {
      this.child.stdout?.on('data', (d: Buffer) => {
        keep(d);
        buf += d.toString();
        const m = /"address":"(http:\/\/[^"]+)"/.exec(buf);
        if (m?.[1]) resolve(m[1]);
      });
      this.child.once('exit', () => resolve(undefined));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  output(): string {
    return this.tail.join('\n');
  }
}

/** Runs the soak in `dataDir` (created by the server); never throws for a finding: they are in `failures`. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const stub = await startYahooStub();
  try {
    return await new Soak(options, stub).run();
  } finally {
    await stub.close();
  }
}

/** The client's side of the soak: what it sent, what it saw acknowledged, and the checks after each restart. */
class Soak {
  readonly report: SoakReport;
  private readonly random: () => number;
  /** The load's own choices (file sizes, which position to edit): a second sequence of the same seed. */
  private readonly choose: () => number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly journalDb: string;
  private readonly marketDb: string;
  private readonly imports: ImportAttempt[] = [];
  private readonly edits = new Map<number, EditState>();
  private readonly positionIds: number[] = [];
  private accounts = 0;
  private barsSeen = 0;
  /** How long a start takes here: start-up kills are spread over it. */
  private startMs = 1500;

  constructor(
    private readonly options: SoakOptions,
    stub: YahooStub,
  ) {
    this.random = seededRandom(options.seed);
    this.choose = seededRandom(options.seed ^ 0x5bd1e995);
    // The scheduler is off: every update job is one the client started and follows.
    this.env = cleanEnv({
      TRADELOG_YAHOO_BASE_URL: stub.url,
      TRADELOG_LOG_LEVEL: 'info',
      TRADELOG_SCHEDULER_INTERVAL_MINUTES: '0',
      ...options.env,
    });
    this.journalDb = path.join(options.dataDir, 'db', 'journal.db');
    this.marketDb = path.join(options.dataDir, 'db', 'market.db');
    this.report = {
      seed: options.seed,
      runs: 0,
      kills: { total: 0, duringStartup: 0, underLoad: 0 },
      imports: { confirmed: 0, acknowledged: 0, storedWithoutAnswer: 0, lostWithoutAnswer: 0 },
      edits: { sent: 0, acknowledged: 0 },
      jobs: { started: 0, acknowledged: 0 },
      chartReads: 0,
      checks: { restarts: 0, integrity: 0, acknowledgedWrites: 0, imports: 0 },
      failures: [],
      ms: 0,
    };
  }

  private fail(run: number, what: string, server?: ServerProcess): void {
    const output = server ? `\n--- server output ---\n${server.output()}` : '';
    this.report.failures.push(`run ${run} (seed ${this.options.seed}): ${what}${output}`);
  }

  async run(): Promise<SoakReport> {
    const t0 = performance.now();
    for (let run = 1; run <= this.options.runs && this.report.failures.length === 0; run++) {
      this.report.runs = run;
      await this.killOnce(run);
    }
    if (this.report.failures.length === 0) await this.lastStart(this.options.runs + 1);
    this.report.ms = Math.round(performance.now() - t0);
    return this.report;
  }

  /** One start: wait for health, check everything, then load and kill (or kill during the start). */
  private async killOnce(run: number): Promise<void> {
    const duringStartup = this.random() < (this.options.startupKillShare ?? 0.15);
    const delay = this.random();
    const server = new ServerProcess(this.options.dataDir, this.env);
    let killed = false;
    const kill = () => {
      killed = true;
      server.kill();
    };
    if (duringStartup) setTimeout(kill, delay * this.startMs).unref();
    const base = await server.ready;
    const healthy = base !== undefined && (await healthyOrDead(base, server));
    if (!healthy && !killed) {
      this.fail(run, base ? '/health did not answer 200 "ok" within 60 s of the start' : 'the server exited before listening', server);
    }
    if (healthy) this.startMs = 0.7 * this.startMs + 0.3 * (performance.now() - server.startedAt);
    if (healthy && !killed) {
      this.report.checks.restarts++;
      await this.verify(run, base as string).catch((err: Error) => {
        if (!killed) this.fail(run, `checking after the restart: ${err.message}`, server);
      });
    }
    if (this.report.failures.length > 0) {
      kill();
    } else if (duringStartup) {
      await server.exited;
    } else if (!killed) {
      if (this.options.killAfterAcknowledgedImport) {
        const before = this.report.imports.acknowledged;
        void waitFor('an acknowledged import', () => this.report.imports.acknowledged > before, { timeoutMs: 300_000 })
          .catch(() => {})
          .finally(kill);
      } else {
        // Until the soak has seen an import and a journal edit acknowledged, the random delay starts only after them:
        // on a busy machine a first import can take longer than the longest delay, and a soak whose load never
        // reached the server proves nothing.
        const loaded = () => this.report.imports.acknowledged > 0 && this.report.edits.acknowledged > 0;
        const killLater = () => setTimeout(kill, 30 + delay * (this.options.maxLoadMs ?? 2500)).unref();
        if (loaded()) killLater();
        else
          void waitFor('a first acknowledged import and journal edit', loaded, { timeoutMs: 300_000 })
            .catch(() => {})
            .finally(killLater);
      }
      await this.load(run, base as string, () => killed, server);
    }
    kill();
    await server.exited;
    if (this.report.failures.length > 0) return;
    const acknowledgedAccounts = this.imports.filter((i) => i.acknowledged).map((i) => i.account);
    this.options.afterKill?.({ run, journalDb: this.journalDb, acknowledgedAccounts });
    this.report.kills.total++;
    this.report.kills[duringStartup ? 'duringStartup' : 'underLoad']++;
    const r = this.report;
    this.options.log?.(
      `run ${run}/${this.options.runs}: killed ${duringStartup ? 'during start-up' : 'under load'}; imports ${r.imports.acknowledged}/${r.imports.confirmed} acknowledged, edits ${r.edits.acknowledged}, jobs ${r.jobs.acknowledged}, chart reads ${r.chartReads}`,
    );
  }

  /** A last start: everything checked once more, then a clean stop. */
  private async lastStart(run: number): Promise<void> {
    const server = new ServerProcess(this.options.dataDir, this.env);
    const base = await server.ready;
    if (base && (await healthyOrDead(base, server))) {
      this.report.checks.restarts++;
      await this.verify(run, base).catch((err: Error) => this.fail(run, err.message, server));
    } else {
      this.fail(run, 'the server did not come back after the last kill', server);
    }
    server.child.kill('SIGTERM');
    await server.exited;
    if (server.child.exitCode !== 0) this.fail(run, `SIGTERM stop exited ${server.child.exitCode ?? server.child.signalCode}`, server);
  }

  /** Everything that must hold after a restart. */
  private async verify(run: number, base: string): Promise<void> {
    const get = async (url: string) => {
      const res = await fetch(`${base}${url}`);
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return res.json() as Promise<unknown>;
    };
    this.verifyFiles(run);
    await this.verifyImports(run, get);
    await this.verifyEdits(run, get);
    // Bars: never fewer than the client last saw stored.
    const coverage = (await get('/api/market-data/coverage?instrument=MNQ')) as { timeframe: string; count: number }[];
    const count = coverage.find((c) => c.timeframe === '1h')?.count ?? 0;
    if (this.barsSeen > 0) this.report.checks.acknowledgedWrites++;
    if (count < this.barsSeen) this.fail(run, `market.db holds ${count} MNQ 1h bars; the client saw ${this.barsSeen} stored`);
    this.barsSeen = Math.max(this.barsSeen, count);
  }

  /** integrity_check of both files beside the running server, and no import half-stored in the table itself. */
  private verifyFiles(run: number): void {
    for (const file of [this.journalDb, this.marketDb]) {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const lines = (db.pragma('integrity_check') as Record<string, string>[]).map((r) => String(Object.values(r)[0]));
        if (lines.length !== 1 || lines[0] !== 'ok') this.fail(run, `integrity_check of ${path.basename(file)}: ${lines.join('; ')}`);
        this.report.checks.integrity++;
        if (file !== this.journalDb) continue;
        if ((db.pragma('foreign_key_check') as unknown[]).length > 0) this.fail(run, 'foreign_key_check of journal.db');
        const rows = db.prepare('SELECT account, count(*) AS n FROM executions GROUP BY account').all() as { account: string; n: number }[];
        const stored = new Map(rows.map((r) => [r.account, r.n]));
        for (const imp of this.imports) {
          const n = stored.get(imp.account) ?? 0;
          if (n !== 0 && n !== imp.executions) this.fail(run, `import ${imp.account} is half-stored: ${n} of ${imp.executions} executions`);
        }
      } finally {
        db.close();
      }
    }
  }

  /** Acknowledged imports all there, the others all or nothing (and the same on every later restart), through the API. */
  private async verifyImports(run: number, get: (url: string) => Promise<unknown>): Promise<void> {
    const byAccount = new Map<string, { positions: number; executions: number }>();
    for (let page = 1; ; page++) {
      const p = (await get(`/api/positions?pageSize=500&page=${page}&sort=openedAt&order=asc`)) as {
        pages: number;
        items: { account: string; executionCount: number }[];
      };
      for (const item of p.items) {
        const a = byAccount.get(item.account) ?? { positions: 0, executions: 0 };
        a.positions++;
        a.executions += item.executionCount;
        byAccount.set(item.account, a);
      }
      if (page >= p.pages) break;
    }
    for (const imp of this.imports) {
      const seen = byAccount.get(imp.account) ?? { positions: 0, executions: 0 };
      const all = seen.positions === imp.positions && seen.executions === imp.executions;
      const none = seen.positions === 0 && seen.executions === 0;
      this.report.checks.imports++;
      if (imp.acknowledged) this.report.checks.acknowledgedWrites++;
      if ((imp.acknowledged || imp.settled === 'all') && !all) {
        this.fail(
          run,
          `acknowledged import ${imp.account}: ${seen.positions}/${imp.positions} positions, ${seen.executions}/${imp.executions} executions`,
        );
      } else if (imp.settled === 'none' && !none) {
        this.fail(run, `import ${imp.account} was absent after an earlier restart and is now there (${seen.executions} executions)`);
      } else if (!all && !none) {
        this.fail(run, `import ${imp.account} is half-stored: ${seen.positions} positions, ${seen.executions} executions`);
      } else if (!imp.acknowledged && imp.settled === undefined) {
        imp.settled = all ? 'all' : 'none';
        this.report.imports[all ? 'storedWithoutAnswer' : 'lostWithoutAnswer']++;
      }
    }
  }

  /** Journal edits: the acknowledged one, or the one sent after it whose answer the kill swallowed. */
  private async verifyEdits(run: number, get: (url: string) => Promise<unknown>): Promise<void> {
    for (const [id, state] of this.edits) {
      const p = (await get(`/api/positions/${id}`)) as { note: string | null; tags: string[]; validity: string | null };
      const now: Journal = {
        note: p.note ?? '',
        tags: [...p.tags].sort(),
        validity: p.validity === 'valid' || p.validity === 'invalid' ? p.validity : null,
      };
      const allowed = [state.acknowledged ?? UNTOUCHED, ...(state.unanswered ? [state.unanswered] : [])];
      if (state.acknowledged) this.report.checks.acknowledgedWrites++;
      if (!allowed.some((j) => sameJournal(j, now))) {
        const was = `acknowledged ${showJournal(state.acknowledged)}, unanswered ${showJournal(state.unanswered)}`;
        this.fail(run, `position ${id} journal is ${JSON.stringify(now)}; ${was}`);
      }
      this.edits.set(id, { acknowledged: now, unanswered: undefined });
    }
  }

  /** The mixed load until `stopped()`; resolves when every actor has stopped (a killed server ends them all). */
  private async load(run: number, base: string, stopped: () => boolean, server: ServerProcess): Promise<void> {
    const unexpected = (what: string, status: number, body: string) => {
      if (!stopped()) this.fail(run, `${what} answered ${status}: ${body.slice(0, 400)}`, server);
    };
    const actors = [this.importer, this.importer, this.editor, this.updater, this.reader];
    // A request cut by the kill rejects: that actor is done for this run.
    await Promise.all(actors.map((actor) => actor.call(this, run, base, stopped, unexpected).catch(() => {})));
  }

  /** Web imports through the upload + confirm flow, one new account per file. */
  private async importer(run: number, base: string, stopped: () => boolean, unexpected: Unexpected): Promise<void> {
    while (!stopped()) {
      const account = `A${++this.accounts}-r${run}`;
      const trips = 1 + Math.floor(this.choose() * 60);
      const form = new FormData();
      form.append('files', new Blob([soakCsv(account, trips)], { type: 'text/csv' }), `${account}.csv`);
      const preview = await fetch(`${base}/import/preview`, { method: 'POST', body: form });
      const page = await preview.text();
      if (preview.status !== 200) return unexpected('import preview', preview.status, page);
      const token = /name="token" value="([^"]+)"/.exec(page)?.[1];
      if (!token) return unexpected('import preview (no token)', preview.status, page);
      if (stopped()) return;
      const attempt: ImportAttempt = { account, positions: trips, executions: trips * 2, acknowledged: false };
      this.imports.push(attempt);
      this.report.imports.confirmed++;
      const commit = await fetch(`${base}/import/commit`, { method: 'POST', body: new URLSearchParams({ token }) });
      const result = await commit.text();
      if (commit.status !== 200 || !result.includes('imported')) return unexpected('import commit', commit.status, result);
      attempt.acknowledged = true;
      this.report.imports.acknowledged++;
      const list = (await (await fetch(`${base}/api/positions?account=${account}&pageSize=500`)).json()) as { items: { id: number }[] };
      this.positionIds.push(...list.items.map((p) => p.id));
    }
  }

  /** Journal edits (note, tags, verdict) of positions the client saw imported, one at a time. */
  private async editor(run: number, base: string, stopped: () => boolean, unexpected: Unexpected): Promise<void> {
    let k = 0;
    while (!stopped()) {
      const id = this.positionIds[Math.floor(this.choose() * this.positionIds.length)];
      if (id === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const j: Journal = {
        note: `run ${run} edit ${++k}: ${'x'.repeat(k % 50)}`,
        tags: [`t${k % 7}`, `run${run}`].sort(),
        validity: (['valid', 'invalid', null] as const)[k % 3] ?? null,
      };
      const state = this.edits.get(id) ?? { acknowledged: undefined, unanswered: undefined };
      state.unanswered = j;
      this.edits.set(id, state);
      this.report.edits.sent++;
      const res = await fetch(`${base}/positions/${id}/journal`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ note: j.note, tags: j.tags.join(', '), validity: j.validity ?? '' }),
      });
      const body = await res.text();
      if (res.status !== 303) return unexpected(`journal edit of position ${id}`, res.status, body);
      state.acknowledged = j;
      state.unanswered = undefined;
      this.report.edits.acknowledged++;
    }
  }

  /** Update-from-API jobs against the Yahoo stub, followed to their end; then the bars the client saw stored. */
  private async updater(_run: number, base: string, stopped: () => boolean, unexpected: Unexpected): Promise<void> {
    while (!stopped()) {
      const res = await fetch(`${base}/api/market-data/update`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instrument: 'MNQ', timeframes: ['1h'], days: 1 + Math.floor(this.choose() * 30) }),
      });
      const started = (await res.json()) as { id?: string };
      if (res.status !== 202 || !started.id) return unexpected('update job', res.status, JSON.stringify(started));
      this.report.jobs.started++;
      for (;;) {
        const job = (await (await fetch(`${base}/api/jobs/${started.id}`)).json()) as { state: string; outcome?: string };
        if (job.state === 'running' || job.state === 'queued') {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        if (job.outcome !== 'ok') return unexpected(`update job ${started.id}`, 200, JSON.stringify(job).slice(0, 400));
        break;
      }
      const coverage = (await (await fetch(`${base}/api/market-data/coverage?instrument=MNQ`)).json()) as {
        timeframe: string;
        count: number;
      }[];
      this.barsSeen = Math.max(this.barsSeen, coverage.find((c) => c.timeframe === '1h')?.count ?? 0);
      this.report.jobs.acknowledged++;
    }
  }

  /** Chart reads. */
  private async reader(_run: number, base: string, stopped: () => boolean, unexpected: Unexpected): Promise<void> {
    while (!stopped()) {
      const res = await fetch(`${base}/api/bars/MNQ?timeframe=1h&limit=500`);
      const body = await res.text();
      if (res.status !== 200) return unexpected('chart read', res.status, body);
      this.report.chartReads++;
    }
  }
}

type Unexpected = (what: string, status: number, body: string) => void;

/** Polls /health until 200 with status "ok" (true), the server dies or 60 s pass (false). */
async function healthyOrDead(base: string, server: ServerProcess): Promise<boolean> {
  const deadline = performance.now() + 60_000;
  while (server.alive && performance.now() < deadline) {
    try {
      const res = await fetch(`${base}/health`);
      const body = (await res.json()) as { status?: string };
      if (res.status === 200 && body.status === 'ok') return true;
    } catch {
      // not answering yet, or killed
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

export function formatSoakReport(r: SoakReport): string {
  return [
    `crash soak: seed ${r.seed}, ${r.runs} runs, ${r.kills.total} SIGKILLs (${r.kills.duringStartup} during start-up, ${r.kills.underLoad} under load), ${(r.ms / 1000).toFixed(1)} s`,
    `  imports confirmed ${r.imports.confirmed}: acknowledged ${r.imports.acknowledged}; answer lost to the kill: ${r.imports.storedWithoutAnswer} stored whole, ${r.imports.lostWithoutAnswer} not stored`,
    `  journal edits sent ${r.edits.sent}, acknowledged ${r.edits.acknowledged}; update jobs started ${r.jobs.started}, acknowledged ${r.jobs.acknowledged}; chart reads ${r.chartReads}`,
    `  after ${r.checks.restarts} restarts: ${r.checks.integrity} integrity checks, ${r.checks.acknowledgedWrites} acknowledged writes read back, ${r.checks.imports} import all-or-nothing checks`,
    r.failures.length === 0 ? '  no failure' : `  FAILURES (${r.failures.length}):\n${r.failures.join('\n')}`,
  ].join('\n');
}
