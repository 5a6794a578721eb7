// One write through the project's own path (openDb → Db.write, BEGIN IMMEDIATE) of a BYTES-long blob, to show
// what the app reports for a storage fault. Prints {"ok":true,"rows":N} or {"code":"TL_…","sqliteCode":"SQLITE_…"}.
// Usage: node --import tsx db-write.ts DBFILE BYTES
import { openDb } from '../../../src/db/open.js';
import { isAppError } from '../../../src/errors.js';

const [file, bytes] = process.argv.slice(2) as [string, string];
const out: Record<string, unknown> = {};
try {
  const db = openDb(file, { name: 'journal' });
  try {
    db.write(() => db.conn.exec('CREATE TABLE IF NOT EXISTS blob (id INTEGER PRIMARY KEY, data BLOB NOT NULL)'));
    db.write(() => db.conn.prepare('INSERT INTO blob (data) VALUES (?)').run(Buffer.alloc(Number(bytes), 7)));
    out.ok = true;
  } catch (err) {
    if (!isAppError(err)) throw err;
    out.code = err.code;
    out.sqliteCode = err.details?.sqliteCode;
    out.message = err.message;
  }
  out.rows = db.read(() => db.conn.prepare('SELECT count(*) FROM blob').pluck().get());
  db.close();
} catch (err) {
  out.code = isAppError(err) ? err.code : 'UNEXPECTED';
  out.message = String(err);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
