import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, cleanEnv } from './cli.js';
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

/** mulberry32: a small seeded generator, the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  const t0 = performance.now();
  const random = seededRandom(options.seed);
  // The load's own choices (file sizes, which position to edit) from a second sequence of the same seed.
  const choose = seededRandom(options.seed ^ 0x5bd1e995);
  let accounts = 0;
  const maxLoadMs = options.maxLoadMs ?? 2500;
  const startupShare = options.startupKillShare ?? 0.15;
  const log = options.log ?? (() => {});
  const stub: YahooStub = await startYahooStub();
  // The scheduler is off: every update job is one the client started and follows.
  const env = cleanEnv({
    TRADELOG_YAHOO_BASE_URL: stub.url,
    TRADELOG_LOG_LEVEL: 'info',
    TRADELOG_SCHEDULER_INTERVAL_MINUTES: '0',
    ...options.env,
  });
  const report: SoakReport = {
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
  const imports: ImportAttempt[] = [];
  const edits = new Map<number, EditState>();
  const positionIds: number[] = [];
  let barsSeen = 0;
  let startMs = 1500;
  const fail = (run: number, what: string, server?: ServerProcess) => {
    report.failures.push(`run ${run} (seed ${options.seed}): ${what}${server ? `\n--- server output ---\n${server.output()}` : ''}`);
  };

  const journalDb = path.join(options.dataDir, 'db', 'journal.db');
  const marketDb = path.join(options.dataDir, 'db', 'market.db');

  /** Everything that must hold after a restart; false when something did not. */
  const verify = async (run: number, base: string, server: ServerProcess): Promise<boolean> => {
    const before = report.failures.length;
    const get = async (url: string) => {
      const res = await fetch(`${base}${url}`);
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return res.json() as Promise<unknown>;
    };
    // Integrity of both files, beside the running server.
    for (const file of [journalDb, marketDb]) {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const lines = (db.pragma('integrity_check') as Record<string, string>[]).map((r) => String(Object.values(r)[0]));
        if (lines.length !== 1 || lines[0] !== 'ok') fail(run, `integrity_check of ${path.basename(file)}: ${lines.join('; ')}`, server);
        if (file === journalDb && (db.pragma('foreign_key_check') as unknown[]).length > 0) fail(run, 'foreign_key_check of journal.db');
        report.checks.integrity++;
        if (file !== journalDb) continue;
        // No import half-stored, in the table itself.
        const stored = new Map(
          (db.prepare('SELECT account, count(*) AS n FROM executions GROUP BY account').all() as { account: string; n: number }[]).map(
            (r) => [r.account, r.n],
          ),
        );
        for (const imp of imports) {
          const n = stored.get(imp.account) ?? 0;
          if (n !== 0 && n !== imp.executions)
            fail(run, `import ${imp.account} is half-stored: ${n} of ${imp.executions} executions`, server);
        }
      } finally {
        db.close();
      }
    }
    // Acknowledged imports, and the others all or nothing, through the API.
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
    for (const imp of imports) {
      const seen = byAccount.get(imp.account) ?? { positions: 0, executions: 0 };
      const all = seen.positions === imp.positions && seen.executions === imp.executions;
      const none = seen.positions === 0 && seen.executions === 0;
      report.checks.imports++;
      if (imp.acknowledged) report.checks.acknowledgedWrites++;
      if ((imp.acknowledged || imp.settled === 'all') && !all) {
        fail(
          run,
          `acknowledged import ${imp.account}: ${seen.positions}/${imp.positions} positions, ${seen.executions}/${imp.executions} executions`,
        );
      } else if (imp.settled === 'none' && !none) {
        fail(run, `import ${imp.account} was absent after an earlier restart and is now there (${seen.executions} executions)`);
      } else if (!all && !none) {
        fail(run, `import ${imp.account} is half-stored: ${seen.positions} positions, ${seen.executions} executions`);
      } else if (!imp.acknowledged && imp.settled === undefined) {
        imp.settled = all ? 'all' : 'none';
        report.imports[all ? 'storedWithoutAnswer' : 'lostWithoutAnswer']++;
      }
    }
    // Journal edits: the acknowledged one, or the one sent after it whose answer was lost.
    for (const [id, state] of edits) {
      const p = (await get(`/api/positions/${id}`)) as { note: string | null; tags: string[]; validity: string | null };
      const now: Journal = {
        note: p.note ?? '',
        tags: [...p.tags].sort(),
        validity: p.validity === 'valid' || p.validity === 'invalid' ? p.validity : null,
      };
      const allowed = [state.acknowledged ?? UNTOUCHED, ...(state.unanswered ? [state.unanswered] : [])];
      if (state.acknowledged) report.checks.acknowledgedWrites++;
      if (!allowed.some((j) => sameJournal(j, now))) {
        fail(
          run,
          `position ${id} journal is ${JSON.stringify(now)}; acknowledged ${showJournal(state.acknowledged)}, unanswered ${showJournal(state.unanswered)}`,
        );
      }
      edits.set(id, { acknowledged: now, unanswered: undefined });
    }
    // Bars: never fewer than the client last saw stored.
    const coverage = (await get('/api/market-data/coverage?instrument=MNQ')) as { timeframe: string; count: number }[];
    const count = coverage.find((c) => c.timeframe === '1h')?.count ?? 0;
    if (barsSeen > 0) report.checks.acknowledgedWrites++;
    if (count < barsSeen) fail(run, `market.db holds ${count} MNQ 1h bars; the client saw ${barsSeen} stored`);
    barsSeen = Math.max(barsSeen, count);
    return report.failures.length === before;
  };

  /** The mixed load, until `stopped()`; resolves when every actor has stopped (a killed server ends them all). */
  const load = async (run: number, base: string, stopped: () => boolean, server: ServerProcess): Promise<void> => {
    const unexpected = (what: string, status: number, body: string) => {
      if (!stopped()) fail(run, `${what} answered ${status}: ${body.slice(0, 400)}`, server);
    };
    const importer = async () => {
      while (!stopped()) {
        const account = `A${++accounts}-r${run}`;
        const trips = 1 + Math.floor(choose() * 60);
        const form = new FormData();
        form.append('files', new Blob([soakCsv(account, trips)], { type: 'text/csv' }), `${account}.csv`);
        const preview = await fetch(`${base}/import/preview`, { method: 'POST', body: form });
        const page = await preview.text();
        if (preview.status !== 200) return unexpected('import preview', preview.status, page);
        const token = /name="token" value="([^"]+)"/.exec(page)?.[1];
        if (!token) return unexpected('import preview (no token)', preview.status, page);
        if (stopped()) return;
        const attempt: ImportAttempt = { account, positions: trips, executions: trips * 2, acknowledged: false };
        imports.push(attempt);
        report.imports.confirmed++;
        const commit = await fetch(`${base}/import/commit`, { method: 'POST', body: new URLSearchParams({ token }) });
        const result = await commit.text();
        if (commit.status !== 200 || !result.includes('imported')) return unexpected('import commit', commit.status, result);
        attempt.acknowledged = true;
        report.imports.acknowledged++;
        const list = (await (await fetch(`${base}/api/positions?account=${account}&pageSize=500`)).json()) as { items: { id: number }[] };
        positionIds.push(...list.items.map((p) => p.id));
      }
    };
    const editor = async () => {
      let k = 0;
      while (!stopped()) {
        const id = positionIds[Math.floor(choose() * positionIds.length)];
        if (id === undefined) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const j: Journal = {
          note: `run ${run} edit ${++k}: ${'x'.repeat(k % 50)}`,
          tags: [`t${k % 7}`, `run${run}`].sort(),
          validity: (['valid', 'invalid', null] as const)[k % 3] ?? null,
        };
        const state = edits.get(id) ?? { acknowledged: undefined, unanswered: undefined };
        state.unanswered = j;
        edits.set(id, state);
        report.edits.sent++;
        const res = await fetch(`${base}/positions/${id}/journal`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams({ note: j.note, tags: j.tags.join(', '), validity: j.validity ?? '' }),
        });
        const body = await res.text();
        if (res.status !== 303) return unexpected(`journal edit of position ${id}`, res.status, body);
        state.acknowledged = j;
        state.unanswered = undefined;
        report.edits.acknowledged++;
      }
    };
    const updater = async () => {
      while (!stopped()) {
        const res = await fetch(`${base}/api/market-data/update`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instrument: 'MNQ', timeframes: ['1h'], days: 1 + Math.floor(choose() * 30) }),
        });
        const started = (await res.json()) as { id?: string };
        if (res.status !== 202 || !started.id) return unexpected('update job', res.status, JSON.stringify(started));
        report.jobs.started++;
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
        barsSeen = Math.max(barsSeen, coverage.find((c) => c.timeframe === '1h')?.count ?? 0);
        report.jobs.acknowledged++;
      }
    };
    const reader = async () => {
      while (!stopped()) {
        const res = await fetch(`${base}/api/bars/MNQ?timeframe=1h&limit=500`);
        const body = await res.text();
        if (res.status !== 200) return unexpected('chart read', res.status, body);
        report.chartReads++;
      }
    };
    // A request cut by the kill rejects: that actor is done for this run.
    await Promise.all([importer, importer, editor, updater, reader].map((actor) => actor().catch(() => {})));
  };

  for (let run = 1; run <= options.runs; run++) {
    report.runs = run;
    const duringStartup = random() < startupShare;
    const delay = random();
    const server = new ServerProcess(options.dataDir, env);
    let killed = false;
    const kill = () => {
      killed = true;
      server.kill();
    };
    if (duringStartup) setTimeout(kill, delay * startMs).unref();
    const base = await server.ready;
    let healthy = false;
    if (base) {
      healthy = await healthyOrDead(base, server);
      if (!healthy && !killed) fail(run, '/health did not answer 200 "ok" within 60 s of the start', server);
    } else if (!killed) {
      fail(run, 'the server exited before listening', server);
    }
    // Start-up kills are spread over the time a start takes here.
    if (healthy) startMs = 0.7 * startMs + 0.3 * (performance.now() - server.startedAt);
    if (healthy && !killed) {
      report.checks.restarts++;
      try {
        await verify(run, base as string, server);
      } catch (err) {
        if (!killed) fail(run, `checking after the restart: ${(err as Error).message}`, server);
      }
    }
    if (report.failures.length > 0) {
      kill();
      await server.exited;
      break;
    }
    if (duringStartup) {
      await server.exited;
    } else if (!killed) {
      setTimeout(kill, 30 + delay * maxLoadMs).unref();
      await load(run, base as string, () => killed, server);
    }
    kill();
    await server.exited;
    options.afterKill?.({ run, journalDb, acknowledgedAccounts: imports.filter((i) => i.acknowledged).map((i) => i.account) });
    report.kills.total++;
    report.kills[duringStartup ? 'duringStartup' : 'underLoad']++;
    log(
      `run ${run}/${options.runs}: killed ${duringStartup ? 'during start-up' : 'under load'}; imports ${report.imports.acknowledged}/${report.imports.confirmed} acknowledged, edits ${report.edits.acknowledged}, jobs ${report.jobs.acknowledged}, chart reads ${report.chartReads}`,
    );
    if (report.failures.length > 0) break;
  }

  // A last start: everything checked once more, then a clean stop.
  if (report.failures.length === 0) {
    const server = new ServerProcess(options.dataDir, env);
    const base = await server.ready;
    if (base && (await healthyOrDead(base, server))) {
      report.checks.restarts++;
      await verify(options.runs + 1, base, server).catch((err: Error) => fail(options.runs + 1, err.message, server));
    } else {
      fail(options.runs + 1, 'the server did not come back after the last kill', server);
    }
    server.child.kill('SIGTERM');
    await server.exited;
    if (server.child.exitCode !== 0)
      fail(options.runs + 1, `SIGTERM stop exited ${server.child.exitCode ?? server.child.signalCode}`, server);
  }
  await stub.close();
  report.ms = Math.round(performance.now() - t0);
  return report;
}

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
