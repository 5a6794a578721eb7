import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openDb } from '../../src/db/open.js';
import { ACTOR, actor, spawnUntil } from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';

// storage-reliability.md §(d) T7: lock contention between processes.

test('T7 a writer holding the lock: busy_timeout 0 fails SQLITE_BUSY, 5000 waits, and Db.write (IMMEDIATE) succeeds', async (t) => {
  const file = path.join(tempDir(t), 'locks.db');
  const db = openDb(file, { name: 'journal' });
  t.after(() => db.close());
  db.write(() => db.conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));

  const a = spawnUntil([ACTOR, file, 'open', 'holdtx:300'], 'locked', { uid: 0 });
  t.after(() => a.child.kill('SIGKILL'));
  await a.ready;
  assert.equal(actor(file, ['open', 'busy0', 'write'], 0).write, 'SQLITE_BUSY');
  // Let the holder go: it commits 300 ms after it reads the end of its stdin. Meanwhile the app's write helper
  // waits for the lock (busy_timeout 5000) and then commits.
  await new Promise<void>((resolve) => a.child.stdin.end(resolve));
  db.write(() => db.conn.prepare('INSERT INTO t (v) VALUES (?)').run('app'));
  assert.equal((await a.exited).code, 0);
  assert.equal(db.conn.prepare('SELECT count(*) FROM t').pluck().get(), 2);
});

test('T7 a deferred read-then-write after another commit fails at once with SQLITE_BUSY_SNAPSHOT; BEGIN IMMEDIATE does not', (t) => {
  const file = path.join(tempDir(t), 'snap.db');
  const db = openDb(file, { name: 'journal' });
  t.after(() => db.close());
  db.write(() => db.conn.exec('CREATE TABLE t (v)'));
  const other = new Database(file, { timeout: 5000 });
  t.after(() => other.close());

  other.exec('BEGIN');
  other.prepare('SELECT count(*) FROM t').get();
  db.write(() => db.conn.prepare('INSERT INTO t VALUES (1)').run());
  assert.throws(
    () => other.prepare('INSERT INTO t VALUES (2)').run(),
    (err: { code?: string }) => err.code === 'SQLITE_BUSY_SNAPSHOT',
  );
  other.exec('ROLLBACK');
  // The same sequence through Db.write takes the write lock first, so it sees the latest snapshot.
  db.write(() => {
    db.conn.prepare('SELECT count(*) FROM t').get();
    other.prepare('SELECT 1').get();
    db.conn.prepare('INSERT INTO t VALUES (2)').run();
  });
  assert.equal(db.conn.prepare('SELECT count(*) FROM t').pluck().get(), 2);
});
