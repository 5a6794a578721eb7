// Writer for the SIGKILL loop (storage-reliability.md T8), with the production open path (openDb: WAL,
// synchronous=FULL, BEGIN IMMEDIATE): each transaction inserts a parent and 19 children; after its commit the parent
// id is appended to LOG and fsync-ed, so every id in LOG is a transaction reported committed.
// Usage: node --import tsx crash-writer.ts DBFILE LOGFILE
import fs from 'node:fs';
import { openDb } from '../../../src/db/open.js';

const [file, logFile] = process.argv.slice(2) as [string, string];
const db = openDb(file, { name: 'journal' });
db.write(() =>
  db.conn.exec(`CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY, at INTEGER NOT NULL) STRICT;
    CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id), n INTEGER NOT NULL) STRICT;`),
);
const insParent = db.conn.prepare('INSERT INTO parent (at) VALUES (?)');
const insChild = db.conn.prepare('INSERT INTO child (parent_id, n) VALUES (?, ?)');
const fd = fs.openSync(logFile, 'a');
process.stdout.write('ready\n');
for (;;) {
  const id = db.write(() => {
    const pid = Number(insParent.run(Date.now()).lastInsertRowid);
    for (let n = 0; n < 19; n++) insChild.run(pid, n);
    return pid;
  });
  fs.writeSync(fd, `${id}\n`);
  fs.fsyncSync(fd);
}
