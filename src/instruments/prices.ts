/**
 * Prices and points as people read them: to the instrument's tick, never `6008.8333333`.
 *
 * - A value on the tick grid (every fill, and an average that lands on a tick) is written with the decimals the
 *   tick needs: MNQ (tick 0.25) 6008.25, CL (0.01) 71.43, ZN (1/64 = 0.015625) 110.515625, YM (1) 42015. A tick
 *   with a fraction gets at least 2 decimals (RTY, tick 0.10: 2050.10), as the exchanges quote them.
 * - A value between ticks (an average price of several fills, points per contract) is rounded to two decimals more
 *   than the tick and marked "≈": MNQ ≈6008.8333. The mark says the number is rounded, the two extra decimals keep
 *   a break-even price readable to a hundredth of a tick.
 * The exact value stays in the JSON (docs/interface.md); only text is rounded.
 */
export function priceDecimals(tickSize: number | undefined): number {
  if (!tickSize || !Number.isFinite(tickSize) || tickSize <= 0) return 2;
  for (let d = 0; d <= 10; d++) {
    const scaled = tickSize * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9) return d === 0 ? 0 : Math.max(d, 2);
  }
  return 10;
}

/** Whether `value` is a whole number of ticks (to a millionth of a tick: floating point error). */
export function onTick(value: number, tickSize: number | undefined): boolean {
  if (!tickSize || !Number.isFinite(tickSize) || tickSize <= 0) return true;
  const ticks = value / tickSize;
  return Math.abs(ticks - Math.round(ticks)) < 1e-6;
}

/** A price or a number of points as text (see the module comment); '' for null. */
export function formatPrice(value: number | null | undefined, tickSize: number | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  const decimals = priceDecimals(tickSize);
  if (onTick(value, tickSize)) return value.toFixed(decimals);
  return `≈${value.toFixed(decimals + 2)}`;
}
