import fs from 'node:fs';
import path from 'node:path';
import { AppError, errorMessage, sqliteCode } from '../errors.js';
import { describeStat, formatBytes, freeBytes } from './fs-info.js';

/**
 * Turn a SQLite failure into an AppError that names the file, the owner and mode seen, this process's uid and
 * the fix (storage-reliability.md §(a), "Message to the user"). The SQLite extended code is always kept in
 * `details.sqliteCode`, because "disk I/O error" alone cannot tell SHMMAP from SHMSIZE from IOERR_WRITE.
 *
 * Returns undefined for codes that are not storage faults (constraints, SQL errors): those are the caller's.
 */
export function translateSqliteError(err: unknown, file: string): AppError | undefined {
  const code = sqliteCode(err);
  if (!code) return undefined;
  const dir = path.dirname(file);
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  const details = { sqliteCode: code, path: file, sqliteMessage: errorMessage(err) };
  const opts = (remedy: string, status = 503) => ({ status, remedy, details, cause: err });

  if (code === 'SQLITE_READONLY_DIRECTORY') {
    return new AppError(
      'TL_DB_DIR_NOT_WRITABLE',
      `The data directory ${dir} ${ownerOf(dir)} is not writable by uid ${uid}. SQLite must create -wal/-shm/-journal files there.`,
      opts(`Stop the app and run: chown -R ${uid}:${gid} ${path.dirname(dir)}  (or start the container with PUID/PGID).`),
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    const culprit = firstUnwritable([file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) ?? file;
    return new AppError(
      'TL_DB_READONLY',
      `Database is read-only: ${culprit} ${ownerOf(culprit)}, and the app runs as uid ${uid}. Reads work; changes are refused.`,
      opts(`Stop every process using the data directory, then run: chown ${uid}:${gid} ${file}*  — never delete the -wal file.`),
    );
  }
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE') {
    const space = freeBytes(dir);
    return new AppError(
      'TL_DB_DISK_FULL',
      `Disk full: ${space ? formatBytes(space.free) : 'no space'} left on ${dir}; ${code === 'SQLITE_IOERR_SHMSIZE' ? 'the database cannot even be opened' : 'entries are not being saved'}.`,
      opts(`Free space on the filesystem holding ${dir} (keep at least twice the database size free), then retry.`),
    );
  }
  if (['SQLITE_IOERR_SHMMAP', 'SQLITE_IOERR_SHMOPEN', 'SQLITE_IOERR_SHMLOCK', 'SQLITE_PROTOCOL'].includes(code)) {
    return new AppError(
      'TL_DB_NO_SHARED_MEMORY',
      `The filesystem under ${dir} cannot share memory between processes (${code}); WAL mode cannot work there.`,
      opts(
        `Run "tradelog doctor --repair" to switch this database to rollback-journal mode without losing rows, or better, move the data directory to a local disk or a Docker named volume.`,
      ),
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError(
      'TL_DB_BUSY',
      `The database ${file} is busy: another connection held its lock for longer than the 5 s timeout (${code}).`,
      opts('Try again. If it persists, find the other process (fuser or lsof on the file) and stop it.'),
    );
  }
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_') || code === 'SQLITE_NOTADB') {
    return new AppError(
      'TL_DB_CORRUPT',
      code === 'SQLITE_NOTADB' ? `${file} is not a SQLite database.` : `The database ${file} is damaged (${code}).`,
      opts(
        'Keep the files as they are. Stop the app, list backups with "tradelog backups" and restore the newest with "tradelog restore FILE --yes" (the damaged files are moved to quarantine/, not deleted).',
      ),
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new AppError(
      'TL_DB_CANTOPEN',
      `Cannot create or open ${file}: ${errorMessage(err)} (${code}). ${ownerOf(fs.existsSync(file) ? file : dir)}`,
      opts(`Create ${dir} and make it owned by uid ${uid}: mkdir -p ${dir} && chown -R ${uid}:${gid} ${path.dirname(dir)}`),
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new AppError(
      'TL_DB_IO_ERROR',
      `Write or read failed on ${file} (${code}): the filesystem reported an I/O error or a file-size limit.`,
      opts(
        'Check the disk and the file-size limit (ulimit -f) for this user, then retry. The database itself stays consistent: SQLite rolls the failed transaction back.',
      ),
    );
  }
  return undefined;
}

export function ownerOf(p: string): string {
  return `(${describeStat(p)})`;
}

function firstUnwritable(files: string[]): string | undefined {
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    try {
      fs.accessSync(f, fs.constants.W_OK);
    } catch {
      return f;
    }
  }
  return undefined;
}
