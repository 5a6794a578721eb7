// Candlestick charts on lightweight-charts 5 (standalone build, global LightweightCharts).
// Bars come from GET /api/bars/:instrument as columns {t, o, h, l, c, v} (t = bar open, Unix seconds; a daily bar's t is
// 00:00 UTC of its CME trading day).
(() => {
  const LC = window.LightweightCharts;
  const TIMEFRAME_SECONDS = { '1m': 60, '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '4h': 14400, '1d': 86400 };
  const UP = '#12805c';
  const DOWN = '#c23b3b';
  // Markers use their own shades so they stand out from (and can be told apart from) the candles.
  const BUY = '#0a7cff';
  const SELL = '#e8590c';

  function zoneFormatter(zone, withTime) {
    const f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
    });
    return (sec) => f.format(new Date(sec * 1000)).replace(',', '');
  }

  /** Axis labels in the trader's zone (lightweight-charts draws UTC otherwise). */
  function tickFormatter(zone) {
    const parts = (sec, opts) => new Intl.DateTimeFormat('en-US', { timeZone: zone, ...opts }).format(new Date(sec * 1000));
    return (time, type) => {
      if (type === 0) return parts(time, { year: 'numeric' });
      if (type === 1) return parts(time, { month: 'short' });
      if (type === 2) return parts(time, { day: 'numeric' });
      return parts(time, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(type === 4 ? { second: '2-digit' } : {}) });
    };
  }

  /** Index of the bar containing time `sec` (the last bar opening at or before it), or -1. */
  function barIndexAt(t, sec, timeframe) {
    let lo = 0;
    let hi = t.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid] <= sec) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return -1;
    // A fill after the bar's end (a gap in the data) has no candle to sit on.
    return sec < t[found] + (TIMEFRAME_SECONDS[timeframe] ?? 60) ? found : -1;
  }

  /**
   * Markers for executions [{time (ISO or ms), tradingDay?, side 'buy'|'sell', quantity, price, label?}], each placed on the
   * candle that contains it: buys (Buy, BuyToCover) below the bar pointing up, sells (Sell, SellShort) above it.
   */
  function executionMarkers(bars, timeframe, executions, options = {}) {
    const out = [];
    for (const e of executions) {
      // On a daily chart a fill sits on its trading day's bar (a fill at 18:00 CT belongs to the next day).
      const sec =
        timeframe === '1d' && e.tradingDay
          ? Date.parse(`${e.tradingDay}T00:00:00Z`) / 1000
          : Math.floor((typeof e.time === 'number' ? e.time : Date.parse(e.time)) / 1000);
      const i = barIndexAt(bars.t, sec, timeframe);
      if (i < 0) continue;
      const buy = e.side === 'buy';
      out.push({
        time: bars.t[i],
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? BUY : SELL,
        text: options.noText ? '' : (e.label ?? `${buy ? 'B' : 'S'} ${e.quantity}@${e.price}`),
        id: String(e.id ?? out.length),
      });
    }
    out.sort((a, b) => a.time - b.time);
    return out;
  }

  function create(container, options = {}) {
    const zone = options.zone ?? 'UTC';
    const chart = LC.createChart(container, {
      autoSize: true,
      // The TradingView attribution is a link under the chart: the built-in logo needs an inline <style>, which the CSP forbids.
      layout: { background: { color: '#ffffff' }, textColor: '#1d2330', fontSize: 12, attributionLogo: false },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      rightPriceScale: { borderColor: '#e2e5eb' },
      timeScale: { borderColor: '#e2e5eb', timeVisible: true, secondsVisible: false, tickMarkFormatter: tickFormatter(zone) },
      localization: { timeFormatter: zoneFormatter(zone, true) },
      crosshair: { mode: 0 },
    });
    const candles = chart.addSeries(LC.CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: options.precision ?? 2, minMove: options.minMove ?? 0.01 },
    });
    let volume;
    let markers;
    let lines = [];
    let bars = { t: [], o: [], h: [], l: [], c: [], v: [] };

    function setBars(next, timeframe) {
      bars = next;
      const data = new Array(next.t.length);
      for (let i = 0; i < next.t.length; i++)
        data[i] = { time: next.t[i], open: next.o[i], high: next.h[i], low: next.l[i], close: next.c[i] };
      candles.setData(data);
      if (volume) setVolume(true);
      // A daily bar's time is 00:00 UTC of its trading day: its label is that date, read in UTC (in the trader's
      // zone it would be the evening before).
      const daily = timeframe === '1d';
      const labelZone = daily ? 'UTC' : zone;
      chart.applyOptions({
        timeScale: { timeVisible: !daily, secondsVisible: false, tickMarkFormatter: tickFormatter(labelZone) },
        localization: { timeFormatter: zoneFormatter(labelZone, !daily) },
      });
      chart.timeScale().fitContent();
    }

    function setVolume(on) {
      if (on && !volume) {
        volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'vol', color: '#b8c4dd' });
        chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
      }
      if (!on && volume) {
        chart.removeSeries(volume);
        volume = undefined;
      }
      if (volume) {
        const data = new Array(bars.t.length);
        for (let i = 0; i < bars.t.length; i++)
          data[i] = { time: bars.t[i], value: bars.v[i], color: bars.c[i] >= bars.o[i] ? 'rgba(18,128,92,0.35)' : 'rgba(194,59,59,0.35)' };
        volume.setData(data);
      }
    }

    function setMarkers(list) {
      if (!markers) markers = LC.createSeriesMarkers(candles, list);
      else markers.setMarkers(list);
    }

    function setPriceLines(list) {
      for (const l of lines) candles.removePriceLine(l);
      lines = list.map((l) =>
        candles.createPriceLine({
          price: l.price,
          color: l.color ?? '#2d5bd7',
          lineWidth: 1,
          lineStyle: l.style ?? 2,
          axisLabelVisible: true,
          title: l.title ?? '',
        }),
      );
    }

    function showRange(fromSec, toSec) {
      if (bars.t.length === 0) return;
      chart.timeScale().setVisibleRange({ from: Math.max(fromSec, bars.t[0]), to: Math.min(toSec, bars.t[bars.t.length - 1]) });
    }

    const api = { chart, candles, setBars, setVolume, setMarkers, setPriceLines, showRange, bars: () => bars, container };
    // Kept for inspection (browser tests read coordinates through it).
    created.push(api);
    return api;
  }
  const created = [];

  const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const HEADER = 24;
  /** Column types of the binary form: 1 = float64, 2 = float32, 3 = uint32 (4 bytes each but float64). */
  const TYPES = {
    1: { size: 8, Array: Float64Array, get: (view, at) => view.getFloat64(at, true) },
    2: { size: 4, Array: Float32Array, get: (view, at) => view.getFloat32(at, true) },
    3: { size: 4, Array: Uint32Array, get: (view, at) => view.getUint32(at, true) },
  };

  /**
   * The API's binary form (docs/web.md "Bars in binary") as columns {t, o, h, l, c, v} of typed arrays: prices and
   * volumes are views on the answer's bytes in the type the header names (Float32Array, Uint32Array or
   * Float64Array, every value exact); times are a Float64Array of base + the stored offsets. Null when the bytes do
   * not add up to the form (a cut answer).
   */
  function decodeBars(buf) {
    if (buf.byteLength < HEADER) return null;
    const head = new DataView(buf, 0, HEADER);
    // 0x544c4231 is 'TLB1'.
    if (head.getUint32(0) !== 0x544c4231) return null;
    const n = head.getUint32(4, true);
    const types = [0, 1, 2, 3, 4, 5].map((k) => TYPES[head.getUint8(8 + k)]);
    if (types.some((type) => type === undefined)) return null;
    const sizes = types.map((type) => Math.ceil((type.size * n) / 8) * 8);
    if (buf.byteLength !== HEADER + sizes.reduce((a, b) => a + b, 0)) return null;
    const columns = [];
    let at = HEADER;
    for (let k = 0; k < 6; k++) {
      const type = types[k];
      if (LITTLE_ENDIAN) columns.push(new type.Array(buf, at, n));
      else {
        const view = new DataView(buf, at, type.size * n);
        columns.push(type.Array.from({ length: n }, (_, i) => type.get(view, type.size * i)));
      }
      at += sizes[k];
    }
    let t = columns[0];
    if (!(t instanceof Float64Array)) {
      const base = head.getFloat64(16, true);
      t = Float64Array.from(t, (x) => base + x);
    }
    return { t, o: columns[1], h: columns[2], l: columns[3], c: columns[4], v: columns[5] };
  }

  /** Bars of a window as typed columns (decodeBars), read in the binary form: no JSON to parse, no number to convert. */
  async function fetchBars(instrument, timeframe, query = {}) {
    const qs = new URLSearchParams({ timeframe, limit: String(query.limit ?? 2000), format: 'binary' });
    if (query.from !== undefined) qs.set('from', String(query.from));
    if (query.to !== undefined) qs.set('to', String(query.to));
    const res = await fetch(`/api/bars/${encodeURIComponent(instrument)}?${qs}`, { credentials: 'same-origin' });
    if (!res.ok) {
      let body;
      try {
        body = await res.json();
      } catch {
        body = undefined;
      }
      throw new window.TL.ApiError(res.status, body);
    }
    const bars = decodeBars(await res.arrayBuffer());
    if (!bars)
      throw new window.TL.ApiError(res.status, { error: { message: 'The bars answer was cut short or is not in the binary form.' } });
    return bars;
  }

  window.TL = Object.assign(window.TL ?? {}, {
    candles: { create, fetchBars, decodeBars, executionMarkers, barIndexAt, TIMEFRAME_SECONDS, created, COLORS: { UP, DOWN, BUY, SELL } },
  });
})();
