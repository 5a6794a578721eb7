import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstrumentRegistry } from '../../src/instruments/instruments.js';
import { loadSymbolMapper, MARKET_SYMBOLS_KEY, marketSymbolsSchema, SymbolMapper } from '../../src/market-data/symbols.js';
import { createSettingsRepo } from '../../src/settings/settings.repo.js';
import { tempStore } from '../helpers/tmp.js';

test('SymbolMapper maps every contract spelling to the root and its Yahoo continuous symbol', () => {
  const m = new SymbolMapper(new InstrumentRegistry());
  for (const name of ['MNQ SEP25', 'MNQ 09-25', 'MNQU5', 'MNQ', 'mnq', 'MNQ=F']) {
    assert.deepEqual(m.resolve(name), { root: 'MNQ', symbol: 'MNQ=F' }, name);
    assert.equal(m.barInstrument(name), 'MNQ', name);
  }
  assert.deepEqual(m.resolve('ES 12-25'), { root: 'ES', symbol: 'ES=F' });
});

test('SymbolMapper is idempotent: a provider symbol stays as it is (no NQ=F=F)', () => {
  const m = new SymbolMapper(new InstrumentRegistry());
  const once = m.resolve('NQ=F');
  assert.deepEqual(once, { root: 'NQ', symbol: 'NQ=F' });
  assert.deepEqual(m.resolve(once.symbol), once);
  assert.deepEqual(m.resolve(m.resolve('MES DEC25').symbol), { root: 'MES', symbol: 'MES=F' });
});

test('SymbolMapper uses a per-root override and accepts the override symbol itself', () => {
  const m = new SymbolMapper(new InstrumentRegistry(), { M2K: 'RTY=F', MNQ: 'MNQU25.CME' });
  assert.deepEqual(m.resolve('M2K 12-25'), { root: 'M2K', symbol: 'RTY=F' });
  assert.deepEqual(m.resolve('MNQ SEP25'), { root: 'MNQ', symbol: 'MNQU25.CME' });
  assert.deepEqual(m.resolve('MNQU25.CME'), { root: 'MNQ', symbol: 'MNQU25.CME' });
  assert.equal(m.barInstrument('mnqu25.cme'), 'MNQ');
});

test('SymbolMapper names an unknown root instead of guessing a symbol', () => {
  const m = new SymbolMapper(new InstrumentRegistry());
  assert.throws(() => m.resolve('XYZ 12-25'), { code: 'TL_INSTRUMENT_UNKNOWN' });
  assert.throws(() => m.resolve('not a contract!'), { code: 'TL_INSTRUMENT_BAD_NAME' });
  assert.equal(m.barInstrument('XYZ'), 'XYZ', 'reading bars needs no spec');
});

test('loadSymbolMapper reads overrides from the settings key market.symbols', (t) => {
  const settings = createSettingsRepo(tempStore(t).journal);
  settings.set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, { ES: 'ES=F', MES: 'ES=F' });
  assert.deepEqual(loadSymbolMapper(settings).resolve('MES 12-25'), { root: 'MES', symbol: 'ES=F' });
  assert.throws(() => settings.set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, { mnq: 'MNQ=F' }), { code: 'TL_SETTINGS_INVALID' });
  assert.throws(() => settings.set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, { MNQ: 'MNQ F; drop' }), { code: 'TL_SETTINGS_INVALID' });
});
