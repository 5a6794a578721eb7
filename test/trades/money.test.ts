import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grossCents, parseCommissionCents, parsePriceUnits, splitCents } from '../../src/trades/money.js';

test('parseCommissionCents reads every commission spelling NinjaTrader files carry', () => {
  assert.equal(parseCommissionCents('$0.52'), 52);
  assert.equal(parseCommissionCents('$$0.52'), 52);
  assert.equal(parseCommissionCents('4.04'), 404);
  assert.equal(parseCommissionCents(' $4.20 '), 420);
  assert.equal(parseCommissionCents('$1,234.50'), 123450);
  assert.equal(parseCommissionCents('-$0.10'), -10);
  assert.equal(parseCommissionCents('($0.10)'), -10);
  assert.equal(parseCommissionCents(''), 0);
  assert.equal(parseCommissionCents('2'), 200);
  assert.equal(parseCommissionCents('$0.520'), 52);
});

test('parseCommissionCents names the cell when it is not money', () => {
  assert.match(String(parseCommissionCents('$0.5x')), /bad number "\$0\.5x" in Commission/);
  assert.match(String(parseCommissionCents('$0.525')), /fractions of a cent/);
});

test('parsePriceUnits is exact to 1e-7 for every tick size and reads locale spellings', () => {
  assert.equal(parsePriceUnits('21482.50'), 214_825_000_000);
  assert.equal(parsePriceUnits('21,482.50'), 214_825_000_000);
  assert.equal(parsePriceUnits('21482,50'), 214_825_000_000);
  assert.equal(parsePriceUnits('1.08765'), 10_876_500);
  assert.equal(parsePriceUnits('0.0065005'), 65_005); // 6J, tick 0.0000005
  assert.equal(parsePriceUnits('112.1640625'), 1_121_640_625); // ZF, tick 1/128
  assert.equal(parsePriceUnits('-37.63'), -376_300_000); // CL, April 2020
  assert.equal(parsePriceUnits('21482.500000000'), 214_825_000_000);
  assert.match(String(parsePriceUnits('21482.50000001')), /bad number/);
  assert.match(String(parsePriceUnits('90071992547409.93')), /bad number/); // beyond exact integers of 1e-7
  assert.match(String(parsePriceUnits('21O00.00')), /bad number "21O00.00" in Price/);
  assert.match(String(parsePriceUnits('')), /empty/);
});

test('grossCents rounds once to the cent, half away from zero', () => {
  // ZN: 1 tick = 1/64 point = 156250 units × $1000 = $15.625 → $15.63; a losing tick → -$15.63
  assert.equal(grossCents(156_250, 1000), 1563);
  assert.equal(grossCents(-156_250, 1000), -1563);
  // MNQ: 20.5 points × $2 = $41.00
  assert.equal(grossCents(205_000_000, 2), 4100);
  // MYM: 1 point × $0.50
  assert.equal(grossCents(10_000_000, 0.5), 50);
  // 6E: 0.0005 × $125,000 = $62.50
  assert.equal(grossCents(5000, 125_000), 6250);
});

test('splitCents divides a reversal commission pro rata and keeps the total', () => {
  // $2.60 over 5 contracts, 2 closing: 104 + 156
  assert.deepEqual(splitCents(260, 2, 5), [104, 156]);
  // $1.00 over 3 contracts, 1 closing: 33.33… → 33, the rest 67
  assert.deepEqual(splitCents(100, 1, 3), [33, 67]);
  // $1.00 over 3, 2 closing: 66.67 → 67, rest 33
  assert.deepEqual(splitCents(100, 2, 3), [67, 33]);
  assert.deepEqual(splitCents(52, 1, 1), [52, 0]);
});

test('numbers with both marks take the last one as the decimal mark: 1.234,56 is 1234.56, never 1.23456', () => {
  // read as 1.23456 before: the comma was dropped as a thousands separator whatever came last
  assert.equal(parsePriceUnits('1.234,56'), 12_345_600_000);
  assert.equal(parsePriceUnits('21.482,25'), 214_822_500_000);
  assert.equal(parsePriceUnits('1,234.56'), 12_345_600_000);
  assert.equal(parseCommissionCents('1.234,56'), 123456);
  assert.equal(parseCommissionCents('$1,234.50'), 123450);
  // the grouping mark must group thousands in threes
  assert.match(String(parsePriceUnits('1.23,5')), /bad number "1\.23,5" in Price/);
  assert.match(String(parsePriceUnits('12,34.5')), /bad number "12,34\.5" in Price/);
});
