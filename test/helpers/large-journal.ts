import fs from 'node:fs';
import type { TradesService } from '../../src/trades/trades.service.js';

/**
 * A large, realistic journal for round-trip tests and the export bench: a NinjaTrader add-on CSV of `n` fills on 4
 * accounts × 3 contracts (round trips of 1–3 entries and exits, some reversals, equal timestamps), deterministic
 * from its seed, imported through the real import; then the trader's data on many positions.
 */
export function writeLargeCsv(file: string, n: number, seed = 42): void {
  const contracts = [
    { name: 'MNQ 12-25', price: 21000, tick: 0.25 },
    { name: 'ES 12-25', price: 6000, tick: 0.25 },
    { name: 'CL 01-26', price: 60, tick: 0.01 },
  ];
  const accounts = ['APEX1279810000057', 'APEX1279810000058', 'Sim101', 'TOPSTEP42'];
  const lines: string[] = [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
  ];
  let t = Date.UTC(2025, 0, 2, 14, 30);
  let rnd = seed;
  const rand = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const state = new Map<string, number>();
  const fmt = (ms: number) => {
    const d = new Date(ms - 8 * 3_600_000); // a fixed UTC−8 wall clock: January in Los Angeles
    const h = d.getUTCHours();
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  };
  for (let seq = 0; seq < n; seq++) {
    const c = contracts[Math.floor(rand() * contracts.length)] as (typeof contracts)[number];
    const account = accounts[Math.floor(rand() * accounts.length)] as string;
    const key = `${account}|${c.name}`;
    const pos = state.get(key) ?? 0;
    let qty = 1 + Math.floor(rand() * 3);
    let buy: boolean;
    if (pos === 0) buy = rand() < 0.5;
    else if (rand() < 0.35) buy = pos > 0;
    else {
      buy = pos < 0;
      qty = rand() < 0.1 ? Math.abs(pos) + 1 : Math.min(qty, Math.abs(pos));
    }
    const next = pos + (buy ? qty : -qty);
    state.set(key, next);
    const price = (c.price + Math.round((rand() - 0.5) * 200) * c.tick).toFixed(2);
    // 0–20 s apart: some fills share a second, so the builder's (time, id) order matters
    t += Math.floor(rand() * 20) * 1000;
    const ex = Math.abs(next) > Math.abs(pos) && Math.sign(next) === Math.sign(pos || next) ? 'Entry' : 'Exit';
    const validation = seq % 11 === 0 ? 'Invalid' : seq % 3 === 0 ? 'Valid' : '';
    lines.push(
      `${c.name},${buy ? 'Buy' : 'Sell'},${qty},${price},${fmt(t)},${900000000000 + seq}_1,${ex},${Math.abs(next)} ${next >= 0 ? 'L' : 'S'},${seq},${ex},$${(0.52 * qty).toFixed(2)},1,${account},Apex Trader Funding ,${validation}`,
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Notes, tags, verdicts and reviewed flags on many positions (every 3rd, 5th, 7th, 2nd), deterministically. */
export function addJournalData(trades: TradesService): { notes: number; tagged: number; verdicts: number; reviewed: number } {
  const counts = { notes: 0, tagged: 0, verdicts: 0, reviewed: 0 };
  const tags = ['breakout', 'A+ setup', 'revenge', 'news', 'late entry'];
  for (const [i, p] of trades.listPositions({}).entries()) {
    if (i % 3 === 0) {
      trades.setNote(p.id, `Position ${i}: ${i % 2 ? 'followed the plan' : 'chased "the move", 5% over size'}\nsecond line, with a comma`);
      counts.notes++;
    }
    if (i % 5 === 0) {
      trades.addTag(p.id, tags[i % tags.length] as string);
      if (i % 10 === 0) trades.addTag(p.id, tags[(i + 1) % tags.length] as string);
      counts.tagged++;
    }
    if (i % 7 === 0) {
      trades.setValidity(p.id, i % 14 === 0 ? 'valid' : 'invalid');
      counts.verdicts++;
    }
    if (i % 2 === 0) {
      trades.setReviewed(p.id, true);
      counts.reviewed++;
    }
  }
  return counts;
}
