import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { ntFile } from './helpers.js';

const ORDERS = path.join(ROOT, 'test', 'fixtures', 'formats', 'tradovate-orders', 'session.csv');

test('tradelog accounts, fees and orders: list, alias, set, preview, remove, import, with --json and exit codes', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const env = { TRADELOG_IMPORT_TIMEZONE: 'America/Los_Angeles' };
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], env);
  const json = (...args: string[]) => {
    const r = cli(...args, '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const file = ntFile(t, [
    'MES 06-26,Buy,1,6000.00,3/2/2026 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.62,1,ACC-7!Rithmic!Rithmic,Rithmic,',
    'MES 06-26,Sell,1,6002.00,3/2/2026 9:45:00 AM,a2,Exit,-,o2,Exit,$0.62,1,ACC-7!Rithmic!Rithmic,Rithmic,',
  ]);
  assert.equal(cli('import', file).status, 0);

  assert.deepEqual(
    json('accounts', 'list').accounts.map((a: { name: string }) => a.name),
    ['ACC-7!Rithmic!Rithmic'],
  );
  assert.equal(json('accounts', 'set', 'ACC-7', '--firm', 'Apex', '--platform', 'Rithmic').account.firm, 'Apex');
  const aliased = json('accounts', 'alias', 'ACC-7!Rithmic!Rithmic', 'ACC-7');
  assert.deepEqual(aliased.account.aliases, ['ACC-7!Rithmic!Rithmic']);
  assert.deepEqual(
    json('positions').map((p: { account: string; grossPnl: number; costs: number; netPnl: number }) => [
      p.account,
      p.grossPnl,
      p.costs,
      p.netPnl,
    ]),
    [['ACC-7', 10, 1.24, 8.76]],
  );

  // the fills have their source's costs: a schedule changes nothing, and says so
  const preview = json('fees', 'preview', '--firm', 'Apex', '--root', 'MES', '--from', '2026-01-02', '--commission', '0.5');
  assert.equal(preview.positionsChanged, 0);
  const set = json('fees', 'set', '--firm', 'Apex', '--root', 'MES', '--from', '2026-01-02', '--commission', '0.5', '--nfa', '0.02');
  assert.equal(set.schedule.perContract, 0.52);
  assert.equal(json('fees', 'list').length, 1);
  const text = cli('fees', 'list');
  assert.match(text.stdout, /Apex\s+MES\s+both\s+2026-01-02/);
  assert.equal(json('fees', 'remove', String(set.schedule.id)).schedule, null);
  assert.deepEqual(json('fees', 'list'), []);

  const bad = cli('fees', 'set', '--firm', 'Apex', '--root', 'MES', '--from', 'tomorrow', '--json');
  assert.equal(bad.status, 2);
  assert.equal(JSON.parse(bad.stdout).error.code, 'TL_FEES_BAD_INPUT');
  const missing = cli('accounts', 'alias', 'x', 'nobody');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error TL_ACCOUNT_NOT_FOUND/);

  const orders = json('orders', 'import', ORDERS);
  assert.deepEqual([orders.format, orders.added], ['tradovate-orders', 7]);
});

test('tradelog import stores an orders report’s orders and says so', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const env = { TRADELOG_IMPORT_TIMEZONE: 'America/Los_Angeles' };
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], env);
  const text = cli('import', ORDERS);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout + text.stderr, /7 orders read, 7 stored/);
  const again = cli('import', ORDERS, '--json');
  assert.equal(again.status, 0, again.stderr);
  const [file] = JSON.parse(again.stdout).files;
  assert.deepEqual([file.format, file.ordersRead, file.ordersStored], ['tradovate-orders', 7, 0]);
});
