// A tiny SQLite client for fault tests, run as a child process (often as uid 65534). Plain JavaScript so it starts
// in ~50 ms. Usage: node sqlite-actor.mjs FILE STEP... ; prints one JSON object: {step: result or error code}.
// Steps: open, openro, excl (locking_mode=EXCLUSIVE), wal, delete, jm (query journal_mode), create, read,
// write, uv (rewrite user_version), pace:MS (a commit every 2 ms for MS), fill:N (N transactions, wal_autocheckpoint=0), holdtx:MS (BEGIN IMMEDIATE, an
// insert, print "locked", wait for stdin to close, then MS more, commit), busy0 (busy_timeout=0), hold (print "ready", wait for stdin to close),
// kill (SIGKILL itself: nothing is checkpointed), close.
import Database from 'better-sqlite3';

const [file, ...steps] = process.argv.slice(2);
const out = {};
let db;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const step of steps) {
  const [name, arg] = step.split(':');
  try {
    if (name === 'open') db = new Database(file, { timeout: 5000 });
    else if (name === 'openro') db = new Database(file, { readonly: true });
    else if (name === 'excl') db.pragma('locking_mode = EXCLUSIVE');
    else if (name === 'busy0') db.pragma('busy_timeout = 0');
    else if (name === 'wal') out.wal = db.pragma('journal_mode = WAL', { simple: true });
    else if (name === 'delete') out.delete = db.pragma('journal_mode = DELETE', { simple: true });
    else if (name === 'jm') out.jm = db.pragma('journal_mode', { simple: true });
    else if (name === 'create') {
      db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
      out.create = 'ok';
    } else if (name === 'read') out.read = db.prepare('SELECT count(*) FROM t').pluck().get();
    else if (name === 'write') {
      db.prepare('INSERT INTO t (v) VALUES (?)').run('w');
      out.write = 'ok';
    } else if (name === 'uv') {
      const v = db.pragma('user_version', { simple: true });
      db.transaction(() => db.pragma(`user_version = ${v}`)).immediate();
      out.uv = 'ok';
    } else if (name === 'fill') {
      db.pragma('wal_autocheckpoint = 0');
      const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < Number(arg); i++) db.transaction(() => ins.run(`row ${i}`)).immediate();
      out.fill = Number(arg);
    } else if (name === 'pace') {
      // One single-row transaction every 2 ms for ARG ms (a live writer during a backup).
      const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
      const end = Date.now() + Number(arg);
      let n = 0;
      process.stdout.write('writing\n');
      while (Date.now() < end) {
        ins.run(`paced ${n++}`);
        await sleep(2);
      }
      out.pace = n;
    } else if (name === 'holdtx') {
      db.exec('BEGIN IMMEDIATE');
      db.prepare('INSERT INTO t (v) VALUES (?)').run('held');
      process.stdout.write('locked\n');
      // Held until the test says so (closes stdin), however long the test's own steps take on a loaded machine.
      await new Promise((r) => {
        process.stdin.on('data', () => {});
        process.stdin.on('end', r);
        process.stdin.on('close', r);
      });
      await sleep(Number(arg));
      db.exec('COMMIT');
      out.holdtx = 'ok';
    } else if (name === 'hold') {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      process.stdout.write('ready\n');
      await new Promise((r) => {
        process.stdin.on('data', () => {});
        process.stdin.on('end', r);
        process.stdin.on('close', r);
      });
      out.hold = 'released';
    } else if (name === 'kill') {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      process.kill(process.pid, 'SIGKILL');
    } else if (name === 'close') {
      db.close();
      out.close = 'ok';
    } else throw new Error(`unknown step ${step}`);
  } catch (err) {
    out[name] = err.code ?? err.message;
    if (name === 'open' || name === 'openro') break;
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
