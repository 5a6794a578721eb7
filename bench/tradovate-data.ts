/** Generated Tradovate Fills files for the benchmarks (bench/importers.bench.ts, bench/pipeline.bench.ts). Not a benchmark itself. */
export const HEADER =
  '_id,_orderId,_contractId,_timestamp,_tradeDate,_action,_qty,_price,_active,_accountId,Fill ID,Order ID,Timestamp,Date,Account,B/S,Quantity,Price,_priceFormat,_priceFormatType,_tickSize,Contract,Product,Product Description,commission';

/** Round trips of 1–3 contracts on two accounts × two contracts, a fill every 7 s, in Tradovate's Fills shape. */
export function tradovateFillsCsv(n: number): string {
  const contracts = [
    { code: 'MNQM6', product: 'MNQ', desc: 'Micro E-mini NASDAQ-100', price: 21000, fee: 0.52 },
    { code: 'ESM6', product: 'ES', desc: 'E-mini S&P 500', price: 6000, fee: 1.29 },
  ];
  const accounts = ['DEMO4471200', 'APEX4977960000002'];
  const pad = (x: number) => String(x).padStart(2, '0');
  const lines = [HEADER];
  let t = Date.UTC(2026, 0, 5, 14, 30);
  let rnd = 7;
  const rand = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const open = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = contracts[i % 2] as (typeof contracts)[number];
    const account = accounts[Math.floor(i / 2) % 2] as string;
    const key = `${account}${c.code}`;
    const pos = open.get(key) ?? 0;
    const qty = pos === 0 ? 1 + Math.floor(rand() * 3) : Math.abs(pos);
    const buy = pos === 0 ? rand() < 0.5 : pos < 0;
    open.set(key, pos + (buy ? qty : -qty));
    c.price += (Math.floor(rand() * 9) - 4) * 0.25;
    t += 7000;
    const d = new Date(t);
    const local = new Date(t - 4 * 3_600_000);
    const stamp = `${pad(local.getUTCMonth() + 1)}/${pad(local.getUTCDate())}/${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
    const id = 700000 + i;
    const price = c.price.toFixed(2);
    lines.push(
      `${id},${id + 1_000_000},3712345,${d.toISOString().replace('T', ' ')},${d.toISOString().slice(0, 10)},${buy ? 0 : 1},${qty},${price},true,55501,${id},${id + 1_000_000},${stamp},1/5/26,${account}, ${buy ? 'Buy' : 'Sell'},${qty},${price},-2,0,0.25,${c.code},${c.product},${c.desc},${(c.fee * qty).toFixed(2)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
