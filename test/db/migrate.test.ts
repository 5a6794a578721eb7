import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { listBackups } from '../../src/db/backup.js';
import { currentVersion, loadMigrations, type Migration, migrate } from '../../src/db/migrate.js';
import { openDb } from '../../src/db/open.js';
import { tempDir } from '../helpers/tmp.js';

for (const name of ['journal', 'market'] as const) {
  test(`migrations of ${name}.db apply in order to an empty database`, (t) => {
    const dir = tempDir(t);
    const db = openDb(path.join(dir, `${name}.db`), { name });
    t.after(() => db.close());
    const all = loadMigrations(name);
    const result = migrate(db, { backupsDir: path.join(dir, 'backups') });
    assert.equal(result.from, 0);
    assert.equal(result.to, all.length);
    assert.equal(currentVersion(db), all.length);
    assert.equal(result.backup, null, 'an empty database needs no backup');
    assert.deepEqual(db.conn.pragma('foreign_key_check'), []);
    assert.equal(db.conn.pragma('integrity_check', { simple: true }), 'ok');
    const again = migrate(db, { backupsDir: path.join(dir, 'backups') });
    assert.deepEqual(again.applied, []);
  });
}

test('migrate leaves schema, rows and user_version unchanged when a step fails, after a verified backup', (t) => {
  const dir = tempDir(t);
  const backups = path.join(dir, 'backups');
  const db = openDb(path.join(dir, 'journal.db'), { name: 'journal' });
  t.after(() => db.close());
  const steps: Migration[] = [
    {
      version: 1,
      name: 'create_t',
      sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE); INSERT INTO t (k) VALUES ('a'), ('b');",
      foreignKeysOff: false,
    },
  ];
  migrate(db, { backupsDir: backups, migrations: steps });
  const failing: Migration[] = [
    ...steps,
    { version: 2, name: 'add_column', sql: 'ALTER TABLE t ADD COLUMN extra TEXT; CREATE TABLE u (x);', foreignKeysOff: false },
    { version: 3, name: 'violate_unique', sql: "INSERT INTO t (k) VALUES ('c'); INSERT INTO t (k) VALUES ('a');", foreignKeysOff: false },
  ];
  assert.throws(
    () => migrate(db, { backupsDir: backups, migrations: failing }),
    (err: { code?: string; details?: { sqliteCode?: string; backup?: string } }) => {
      assert.equal(err.code, 'TL_DB_MIGRATION_FAILED');
      assert.equal(err.details?.sqliteCode, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.ok(err.details?.backup && fs.existsSync(err.details.backup), 'names an existing backup');
      return true;
    },
  );
  assert.equal(currentVersion(db), 1);
  const cols = (db.conn.pragma('table_info(t)') as { name: string }[]).map((c) => c.name);
  assert.deepEqual(cols, ['id', 'k']);
  assert.equal(db.conn.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'u'").pluck().get(), 0);
  assert.equal(db.conn.prepare('SELECT count(*) FROM t').pluck().get(), 2);
  const listed = listBackups(backups);
  assert.equal(listed.length, 1);
  assert.equal(listed[0]?.kind, 'pre-migration');
  assert.equal(listed[0]?.schemaVersion, 1);
});
