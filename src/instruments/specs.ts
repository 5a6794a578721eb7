/**
 * Built-in contract specifications. Versioned: bump SPECS_VERSION when a value changes, so stored positions can
 * say which table priced them. Users override any field per root in settings (instruments.overrides).
 *
 * Point value = dollars per 1.00 move of the quoted price for one contract; tick size in price units.
 * Sources: the exchanges' contract-spec pages (CME Group product slates for CME/CBOT/NYMEX/COMEX), as of 2025.
 * - Equity index: ES $50, MES $5, NQ $20, MNQ $2 (tick 0.25); YM $5, MYM $0.50 (tick 1); RTY $50, M2K $5 (tick 0.10).
 * - Energy: CL 1,000 bbl → $1,000/pt, MCL 100 bbl → $100/pt (tick 0.01); NG 10,000 MMBtu → $10,000/pt (tick 0.001).
 * - Metals: GC 100 oz → $100/pt, MGC 10 oz → $10/pt (tick 0.10); SI 5,000 oz → $5,000/pt (tick 0.005);
 *   HG 25,000 lb → $25,000/pt (tick 0.0005).
 * - Rates: ZB $100,000 face → $1,000/pt, tick 1/32; ZN $1,000/pt, tick 1/64 (half of 1/32); ZF $1,000/pt, tick 1/128.
 * - FX: 6E €125,000 → $125,000/pt (tick 0.00005); 6J ¥12.5M, quoted in USD per yen → $12,500,000/pt, tick 0.0000005.
 * - Grains (quoted in cents/bushel, 5,000 bu): ZC/ZS/ZW $50 per cent, tick 0.25.
 */
export const SPECS_VERSION = 1;

export interface InstrumentSpec {
  root: string;
  name: string;
  exchange: 'CME' | 'CBOT' | 'NYMEX' | 'COMEX';
  /** Dollars per 1.00 of price, per contract. */
  pointValue: number;
  tickSize: number;
  currency: 'USD';
  /** Continuous front-month symbol on Yahoo Finance's chart API. */
  yahooSymbol: string;
}

const spec = (
  root: string,
  name: string,
  exchange: InstrumentSpec['exchange'],
  pointValue: number,
  tickSize: number,
  yahooSymbol = `${root}=F`,
): InstrumentSpec => ({ root, name, exchange, pointValue, tickSize, currency: 'USD', yahooSymbol });

export const BUILT_IN_SPECS: readonly InstrumentSpec[] = [
  spec('ES', 'E-mini S&P 500', 'CME', 50, 0.25),
  spec('MES', 'Micro E-mini S&P 500', 'CME', 5, 0.25),
  spec('NQ', 'E-mini Nasdaq-100', 'CME', 20, 0.25),
  spec('MNQ', 'Micro E-mini Nasdaq-100', 'CME', 2, 0.25),
  spec('YM', 'E-mini Dow ($5)', 'CBOT', 5, 1),
  spec('MYM', 'Micro E-mini Dow', 'CBOT', 0.5, 1),
  spec('RTY', 'E-mini Russell 2000', 'CME', 50, 0.1),
  spec('M2K', 'Micro E-mini Russell 2000', 'CME', 5, 0.1),
  spec('CL', 'Crude Oil (WTI)', 'NYMEX', 1000, 0.01),
  spec('MCL', 'Micro WTI Crude Oil', 'NYMEX', 100, 0.01),
  spec('NG', 'Henry Hub Natural Gas', 'NYMEX', 10000, 0.001),
  spec('GC', 'Gold', 'COMEX', 100, 0.1),
  spec('MGC', 'Micro Gold', 'COMEX', 10, 0.1),
  spec('SI', 'Silver', 'COMEX', 5000, 0.005),
  spec('HG', 'Copper', 'COMEX', 25000, 0.0005),
  spec('ZB', 'U.S. Treasury Bond', 'CBOT', 1000, 1 / 32),
  spec('ZN', '10-Year T-Note', 'CBOT', 1000, 1 / 64),
  spec('ZF', '5-Year T-Note', 'CBOT', 1000, 1 / 128),
  spec('ZC', 'Corn', 'CBOT', 50, 0.25),
  spec('ZS', 'Soybeans', 'CBOT', 50, 0.25),
  spec('ZW', 'Chicago SRW Wheat', 'CBOT', 50, 0.25),
  spec('6E', 'Euro FX', 'CME', 125000, 0.00005),
  spec('6J', 'Japanese Yen', 'CME', 12500000, 0.0000005),
];
