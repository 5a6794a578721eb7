import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// `serve` reports what stops it from starting through the CLI's one error printer (src/cli/context.ts): the same
// `error TL_…` / `fix:` lines as every command, and the same JSON document under --json.

/** The pretty-printed `{"error": …}` document at the end of stdout (serve's log lines come before it). */
function errorDocument(stdout: string): { error: { code: string; message: string; remedy: string; details?: Record<string, unknown> } } {
  const start = stdout.lastIndexOf('\n{\n') >= 0 ? stdout.lastIndexOf('\n{\n') + 1 : stdout.indexOf('{\n');
  assert.ok(start >= 0, `no JSON document on stdout:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

test('serve reports a taken port as TL_WEB_LISTEN through the one error printer, as text and as JSON', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = String((blocker.address() as net.AddressInfo).port);
  const dataDir = path.join(tempDir(t), 'data');

  const text = await runCliAsync(['serve', '--host', '127.0.0.1', '--port', port, '--data-dir', dataDir]);
  assert.equal(text.status, 2, text.stderr);
  assert.match(
    text.stderr,
    new RegExp(`^error TL_WEB_LISTEN: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is taken by another process\\.$`, 'm'),
  );
  assert.match(text.stderr, /^fix: Choose another port with --port or TRADELOG_PORT/m);

  const json = await runCliAsync(['serve', '--host', '127.0.0.1', '--port', port, '--data-dir', dataDir, '--json']);
  assert.equal(json.status, 2, json.stderr);
  const doc = errorDocument(json.stdout);
  assert.equal(doc.error.code, 'TL_WEB_LISTEN');
  assert.deepEqual(doc.error.details, { host: '127.0.0.1', port: Number(port), systemCode: 'EADDRINUSE' });
  assert.doesNotMatch(json.stderr, /error TL_WEB_LISTEN/, 'under --json the error is the JSON document, not text');
});

test('serve reports an invalid setting through the one error printer under --json', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const r = await runCliAsync(['serve', '--data-dir', dataDir, '--json'], { TRADELOG_PORT: 'not-a-port' });
  assert.equal(r.status, 2, r.stderr);
  const doc = errorDocument(r.stdout);
  assert.equal(doc.error.code, 'TL_CONFIG_INVALID');
  assert.match(doc.error.message, /TRADELOG_PORT/);
});
