import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * "How to fix" for an error code, from docs/errors.md (the one table of codes, kept complete by a test). Used
 * where an error arrives as {code, message} only, e.g. a failed timeframe of a market-data job.
 */
let cache: Map<string, string> | undefined;

function load(): Map<string, string> {
  const map = new Map<string, string>();
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    path.resolve(here, '..', '..', 'docs', 'errors.md'),
    path.resolve(here, '..', '..', '..', 'docs', 'errors.md'),
  ]) {
    let text: string;
    try {
      text = fs.readFileSync(candidate, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\|\s*`(TL_[A-Z0-9_]+)`\s*\|[^|]*\|\s*(.+?)\s*\|\s*$/.exec(line);
      if (m) map.set(m[1] as string, (m[2] as string).replace(/`/g, ''));
    }
    break;
  }
  return map;
}

export function remedyFor(code: string): string | undefined {
  cache ??= load();
  return cache.get(code);
}
