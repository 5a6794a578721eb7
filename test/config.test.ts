import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { describeConfig, flagsOverriddenByEnv, loadConfig, maskUrlCredentials } from '../src/config.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

test('loadConfig takes the environment over flags over defaults', () => {
  const defaults = loadConfig({}, {});
  assert.equal(defaults.port, 5000);
  assert.equal(defaults.host, '127.0.0.1');
  assert.equal(defaults.importTimezone, 'America/Los_Angeles');
  assert.equal(defaults.dataDir, path.resolve('./data'));
  assert.equal(loadConfig({ port: '6000' }, {}).port, 6000);
  assert.equal(loadConfig({ port: '6000' }, { TRADELOG_PORT: '7000' }).port, 7000);
});

test('loadConfig accepts canonical time zones, their aliases and UTC as the import zone', () => {
  for (const zone of ['America/Chicago', 'Europe/Berlin', 'US/Pacific', 'Asia/Calcutta', 'UTC', 'Etc/GMT+5']) {
    assert.equal(loadConfig({}, { TRADELOG_IMPORT_TIMEZONE: zone }).importTimezone, zone);
  }
});

test('loadConfig names the variable and the value when a setting is invalid', () => {
  assert.throws(
    () => loadConfig({}, { TRADELOG_PORT: 'eighty' }),
    (e: { code?: string; message?: string }) =>
      e.code === 'TL_CONFIG_INVALID' && /TRADELOG_PORT/.test(e.message ?? '') && /eighty/.test(e.message ?? ''),
  );
  assert.throws(
    () => loadConfig({}, { TRADELOG_IMPORT_TIMEZONE: 'Mars/Olympus' }),
    (e: { message?: string }) => /TRADELOG_IMPORT_TIMEZONE/.test(e.message ?? ''),
  );
  assert.throws(
    () => loadConfig({}, { TRADELOG_AUTH_TOKEN: 'short' }),
    (e: { message?: string }) => /\(hidden\)/.test(e.message ?? '') && !/short/.test(e.message ?? ''),
  );
});

test('loadConfig reads the token from TRADELOG_AUTH_TOKEN_FILE and masks it in descriptions', (t) => {
  const file = path.join(tempDir(t), 'token');
  fs.writeFileSync(file, 'a-long-enough-secret\n');
  const config = loadConfig({}, { TRADELOG_AUTH_TOKEN_FILE: file });
  assert.equal(config.authToken, 'a-long-enough-secret');
  assert.equal(describeConfig(config).authToken, '****');
  assert.throws(() => loadConfig({}, { TRADELOG_AUTH_TOKEN_FILE: file, TRADELOG_AUTH_TOKEN: 'another-long-secret' }), {
    code: 'TL_CONFIG_INVALID',
  });
});

test('flagsOverriddenByEnv reports a flag the environment replaces, and the CLI prints it', (t) => {
  assert.deepEqual(flagsOverriddenByEnv({ dataDir: '/a' }, {}), []);
  assert.deepEqual(flagsOverriddenByEnv({ dataDir: '/a' }, { TRADELOG_DATA_DIR: '/a' }), []);
  const [warning] = flagsOverriddenByEnv({ dataDir: '/a' }, { TRADELOG_DATA_DIR: '/b' });
  assert.match(warning ?? '', /--data-dir \/a is ignored: TRADELOG_DATA_DIR=\/b/);
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'env'));
  const r = runCli(['backups', '--data-dir', path.join(dir, 'flag')], { TRADELOG_DATA_DIR: path.join(dir, 'env') });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: --data-dir .*flag is ignored: TRADELOG_DATA_DIR=.*env takes precedence/);
  assert.match(r.stdout, /env/);
});

test('loadConfig refuses weak tokens (short, few different characters, not printable ASCII) without showing them', (t) => {
  for (const [token, why] of [
    ['aaaaaaaaaaaa', /at least 6 different characters/],
    ['abababababababababab', /at least 6 different characters/],
    ['           ', /at least 12 characters/],
    ['  abc-def-1  ', /at least 12 characters/],
    ['pässwörd-1234567', /printable ASCII/],
    ['tab\there-1234567', /printable ASCII/],
  ] as const) {
    assert.throws(
      () => loadConfig({}, { TRADELOG_AUTH_TOKEN: token }),
      (e: { code?: string; message?: string }) =>
        e.code === 'TL_CONFIG_INVALID' &&
        why.test(e.message ?? '') &&
        /\(hidden\)/.test(e.message ?? '') &&
        !(e.message ?? '').includes(token),
      JSON.stringify(token),
    );
  }
  const file = path.join(tempDir(t), 'token');
  fs.writeFileSync(file, 'zzzzzzzzzzzzzzzz\n');
  assert.throws(() => loadConfig({}, { TRADELOG_AUTH_TOKEN_FILE: file }), /different characters/);
  assert.equal(loadConfig({}, { TRADELOG_AUTH_TOKEN: ' 0123456789ab ' }).authToken, '0123456789ab', 'trimmed');
});

test('loadConfig reads TRADELOG_ALLOWED_HOSTS as names with optional ports and names a bad entry', () => {
  assert.deepEqual(loadConfig({}, {}).allowedHosts, []);
  assert.deepEqual(
    loadConfig({}, { TRADELOG_ALLOWED_HOSTS: ' Journal.Example.com, nas.lan:8443,[fd00::1]:5000,10.0.0.5 ,' }).allowedHosts,
    ['journal.example.com', 'nas.lan:8443', '[fd00::1]:5000', '10.0.0.5'],
  );
  assert.deepEqual(loadConfig({ allowedHosts: 'from-flag.lan' }, {}).allowedHosts, ['from-flag.lan']);
  for (const bad of ['http://journal.example.com', 'journal.example.com/path', 'nas.lan:99999', '[zz::1]', 'a b', 'x:']) {
    assert.throws(
      () => loadConfig({}, { TRADELOG_ALLOWED_HOSTS: `ok.lan,${bad}` }),
      (e: { code?: string; message?: string }) =>
        e.code === 'TL_CONFIG_INVALID' && /TRADELOG_ALLOWED_HOSTS/.test(e.message ?? '') && (e.message ?? '').includes(bad),
      bad,
    );
  }
});

test('config masks credentials of the provider URL wherever it shows the URL', () => {
  assert.equal(maskUrlCredentials('https://query1.finance.yahoo.com'), 'https://query1.finance.yahoo.com');
  assert.equal(maskUrlCredentials('https://user:p%40ss@proxy.example:8443/yahoo'), 'https://****@proxy.example:8443/yahoo');
  assert.equal(maskUrlCredentials('Could not reach http://token@proxy.example/x'), 'Could not reach http://****@proxy.example/x');
  const config = loadConfig({}, { TRADELOG_YAHOO_BASE_URL: 'https://user:s3cret@proxy.example' });
  assert.equal(config.yahooBaseUrl, 'https://user:s3cret@proxy.example', 'the real value is kept for the requests');
  assert.equal(describeConfig(config).yahooBaseUrl, 'https://****@proxy.example');
});
