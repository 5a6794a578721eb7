// Candlestick charts on lightweight-charts 5 (standalone build, global LightweightCharts).
// Bars come from GET /api/bars/:instrument as columns {t, o, h, l, c, v} (t = bar open, Unix seconds; a daily bar's t is
// 00:00 UTC of its CME trading day).
(() => {
  const LC = window.LightweightCharts;
  const { el } = window.TL;
  const TIMEFRAME_SECONDS = { '1m': 60, '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '4h': 14400, '1d': 86400 };
  const FONT_SIZE = 12;

  /**
   * The chart colours of the theme drawn now, from the stylesheet's --chart-* properties (app.css): candles,
   * volume, the trader's buys and sells (their own shades, told apart from the candles), price lines. COLORS
   * holds the candle and marker colours as #rrggbb, for inspection.
   */
  const COLORS = { UP: '', DOWN: '', BUY: '', SELL: '' };
  const toHex = (rgb) => {
    const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)$/.exec(rgb);
    if (!m || (m[4] !== undefined && Number(m[4]) < 1)) return rgb;
    return `#${[m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('')}`;
  };
  function readPalette() {
    const probe = document.createElement('span');
    probe.hidden = true;
    document.body.append(probe);
    const get = (name) => {
      probe.style.color = `var(${name})`;
      return toHex(getComputedStyle(probe).color);
    };
    const p = {
      bg: get('--chart-bg'),
      text: get('--chart-text'),
      grid: get('--chart-grid'),
      border: get('--chart-border'),
      up: get('--chart-up'),
      down: get('--chart-down'),
      volUp: get('--chart-vol-up'),
      volDown: get('--chart-vol-down'),
      buy: get('--chart-buy'),
      sell: get('--chart-sell'),
      entry: get('--chart-entry'),
      exit: get('--chart-exit'),
      last: get('--chart-last'),
    };
    probe.remove();
    Object.assign(COLORS, { UP: p.up, DOWN: p.down, BUY: p.buy, SELL: p.sell });
    return p;
  }
  let palette = readPalette();

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
   * Markers for executions [{time (ISO or ms), tradingDay?, side 'buy'|'sell', quantity, price, action?}], each placed on the
   * candle that contains it: buys (Buy, BuyToCover) below the bar pointing up, sells (Sell, SellShort) above it.
   * The label is short (B2 = bought 2, S1 = sold 1); `detail` is the fill in full, for the tooltip.
   */
  function executionMarkers(bars, timeframe, executions, zone = 'UTC') {
    const time = zoneFormatter(zone, true);
    const out = [];
    for (const e of executions) {
      const ms = typeof e.time === 'number' ? e.time : Date.parse(e.time);
      // On a daily chart a fill sits on its trading day's bar (a fill at 18:00 CT belongs to the next day).
      const sec = timeframe === '1d' && e.tradingDay ? Date.parse(`${e.tradingDay}T00:00:00Z`) / 1000 : Math.floor(ms / 1000);
      const i = barIndexAt(bars.t, sec, timeframe);
      if (i < 0) continue;
      const buy = e.side === 'buy';
      out.push({
        time: bars.t[i],
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? COLORS.BUY : COLORS.SELL,
        text: `${buy ? 'B' : 'S'}${e.quantity}`,
        quantity: e.quantity,
        id: String(e.id ?? out.length),
        detail: `${e.action ?? (buy ? 'Buy' : 'Sell')} ${e.quantity} @ ${e.price} · ${time(Math.floor(ms / 1000))}`,
      });
    }
    out.sort((a, b) => a.time - b.time);
    return out;
  }

  /**
   * One arrow per candle and side: the fills of a candle on one side share an arrow labelled with their total
   * (B3 = bought 3 in that candle, as the legend says); the tooltip lists each fill. Stacked arrows would push
   * one another away from the candle and leave no room for any label.
   */
  function collapse(markers) {
    const groups = new Map();
    for (const m of markers) {
      const key = `${m.time}|${m.position}`;
      const g = groups.get(key);
      if (g) {
        g.quantity += m.quantity ?? 0;
        g.fills.push(m.detail);
      } else groups.set(key, { ...m, quantity: m.quantity ?? 0, fills: [m.detail] });
    }
    return [...groups.values()].map((g) =>
      g.fills.length === 1
        ? g
        : { ...g, text: `${g.position === 'belowBar' ? 'B' : 'S'}${g.quantity}`, id: `${g.id}+${g.fills.length - 1}` },
    );
  }

  // Marker geometry as lightweight-charts 5 draws it (series-markers: size, shapeMargin, fillSizeAndY): the arrow
  // is as tall as the bar spacing held within 12–30 px, a margin away from the bar, and the label sits beyond it.
  const odd = (x) => (Math.ceil(x) % 2 === 0 ? Math.ceil(x) - 1 : Math.ceil(x));
  const even = (x) => (Math.ceil(x) % 2 !== 0 ? Math.ceil(x) - 1 : Math.ceil(x));
  const clampSize = (spacing) => Math.min(Math.max(spacing, 12), 30);

  /**
   * Which markers keep their label, on the chart as it is drawn now. `at(time)` gives a bar's pixels:
   * {x, high, low} (y of its high and low) or undefined when it is not drawn. A label stays only where it covers
   * nothing: no candle under its width reaches it, no other arrow or label (of another bar, on the same side of the
   * bars) is within it, and its marker is alone on its side of its bar (stacked markers keep only their arrows).
   * Labels are tried in time order, for the markers within `width` pixels; a label must lie wholly inside the
   * pane (`width` × `height`), not cut by its edge. Everything left out is in the tooltip.
   */
  function fitLabels(markers, bars, spacing, measure, at, width = Number.POSITIVE_INFINITY, height = Number.POSITIVE_INFINITY) {
    const out = markers.map((m) => ({ ...m, text: '' }));
    if (!(spacing > 0)) return out;
    const size = even(odd(clampSize(spacing)));
    const margin = Math.max(odd(clampSize(spacing) * 0.1), 3);
    const candleHalf = Math.max(1, spacing * 0.4);
    const gap = 2;
    // Every arrow's box, per side: a stack of n markers on one bar reaches n arrows away from it.
    const stacks = new Map();
    for (const m of markers) {
      const key = `${m.position}|${m.time}`;
      stacks.set(key, (stacks.get(key) ?? 0) + 1);
    }
    const boxes = { aboveBar: [], belowBar: [] };
    for (const [key, n] of stacks) {
      const [side, time] = key.split('|');
      const b = at(Number(time));
      if (!b) continue;
      const reach = margin + n * (size + margin);
      const box =
        side === 'aboveBar'
          ? { l: b.x - size / 2, r: b.x + size / 2, t: b.high - reach, b: b.high }
          : { l: b.x - size / 2, r: b.x + size / 2, t: b.low, b: b.low + reach };
      boxes[side]?.push({ ...box, time: Number(time) });
    }
    const hits = (a, b) => a.l < b.r + gap && b.l < a.r + gap && a.t < b.b + gap && b.t < a.b + gap;
    markers.forEach((m, k) => {
      const b = at(m.time);
      // (a marker off screen keeps no label: it is fitted again when it scrolls into view)
      if (!m.text || !b || b.x < 0 || b.x > width || stacks.get(`${m.position}|${m.time}`) !== 1) return;
      const above = m.position === 'aboveBar';
      const w = measure(m.text);
      const textH = FONT_SIZE;
      const near = above ? b.high - margin - size : b.low + margin + size;
      const box = above
        ? { l: b.x - w / 2, r: b.x + w / 2, t: near - 1.1 * textH, b: near - 0.1 * textH }
        : { l: b.x - w / 2, r: b.x + w / 2, t: near + 0.1 * textH, b: near + 1.1 * textH };
      if (box.l < 0 || box.r > width || box.t < 0 || box.b > height) return;
      // Candles whose body or wick is under the label's width.
      for (let i = Math.max(0, bisect(bars.t, m.time) - Math.ceil(w / spacing) - 2); i < bars.t.length; i++) {
        const c = at(bars.t[i]);
        if (!c) continue;
        if (c.x - candleHalf > box.r + gap) break;
        if (c.x + candleHalf < box.l - gap) continue;
        if (hits(box, { l: c.x - candleHalf, r: c.x + candleHalf, t: c.high, b: c.low })) return;
      }
      if (boxes[m.position].some((o) => o.time !== m.time && hits(box, o))) return;
      boxes[m.position].push({ ...box, time: m.time });
      out[k] = m;
    });
    return out;
  }

  /** Index of the first bar opening at or after `sec`. */
  function bisect(t, sec) {
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid] < sec) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The explanation shown over an empty (or failed) chart, with what to do. */
  function emptyState(container, { title, detail, instrument, timeframe, updateButton }) {
    const parts = [el('p', { class: 'chart-empty-title', text: title })];
    if (detail) parts.push(el('p', { text: detail }));
    if (instrument) {
      const btn = el('button', { type: 'button', class: 'secondary', id: 'chart-empty-update', text: 'Update from API' });
      btn.addEventListener('click', () => updateButton?.click());
      parts.push(
        el('p', {}, btn, ' downloads them from Yahoo Finance (1m bars for the last 30 days, 5m and 15m for 60 days, 1h for two years).'),
        el(
          'p',
          { class: 'small' },
          'Or import bars you exported: ',
          el('code', { text: `tradelog ohlc import FILE --instrument ${instrument} --timeframe ${timeframe}` }),
        ),
      );
    }
    container.replaceChildren(...parts);
    container.classList.remove('hidden');
  }

  /**
   * The execution markers of a chart. Labels are fitted to the chart as drawn (bar spacing and the price scale,
   * which moves with every scroll and zoom): arrows first, the labels once the chart has painted, and again after
   * every change of the view.
   */
  function markerLayer(chart, candles, getBars) {
    let plugin;
    let markers = [];
    let shown = [];
    let fit;
    const measureCtx = document.createElement('canvas').getContext('2d');
    const measure = (text) => {
      measureCtx.font = `${FONT_SIZE}px ${chart.options().layout.fontFamily}`;
      return measureCtx.measureText(text).width;
    };
    const spacing = () => {
      const a = chart.timeScale().logicalToCoordinate(0);
      const b = chart.timeScale().logicalToCoordinate(1);
      return a === null || b === null ? 0 : b - a;
    };
    /** Pixels of the bar opening at `time`: x, and y of its high and low. */
    const at = (time) => {
      const bars = getBars();
      const i = bisect(bars.t, time);
      if (bars.t[i] !== time) return undefined;
      const x = chart.timeScale().timeToCoordinate(time);
      const high = candles.priceToCoordinate(bars.h[i]);
      const low = candles.priceToCoordinate(bars.l[i]);
      return x === null || high === null || low === null ? undefined : { x, high, low };
    };
    // What the plugin draws: no tooltip details, the colour of the theme drawn now.
    const strip = (list) =>
      list.map(({ detail, fills, quantity, ...m }) => ({ ...m, color: m.position === 'belowBar' ? COLORS.BUY : COLORS.SELL }));

    function draw() {
      shown = strip(markers).map((m) => ({ ...m, text: '' }));
      if (!plugin) plugin = LC.createSeriesMarkers(candles, shown);
      else plugin.setMarkers(shown);
      refit();
    }
    function refit() {
      fit ??= new Promise((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            fit = undefined;
            const pane = chart.panes()[0];
            const next = strip(
              fitLabels(markers, getBars(), spacing(), measure, at, chart.timeScale().width(), pane ? pane.getHeight() : undefined),
            );
            if (next.some((m, i) => m.text !== shown[i]?.text)) {
              shown = next;
              plugin?.setMarkers(shown);
            }
            resolve();
          }),
        ),
      );
      return fit;
    }
    chart.timeScale().subscribeVisibleLogicalRangeChange(() => {
      if (markers.length > 0) refit();
    });
    chart.timeScale().subscribeSizeChange(() => {
      if (markers.length > 0) refit();
    });
    return {
      /** Markers as executionMarkers makes them (one per fill). */
      set(list) {
        markers = collapse(list);
        draw();
      },
      draw,
      shown: () => shown,
      fitted: () => fit ?? Promise.resolve(),
      drawRaw: (list) => plugin?.setMarkers(list),
    };
  }

  /** A tooltip over the chart listing the fills of the candle under the pointer, in full. */
  function fillTooltip(container, chart) {
    let byTime = new Map();
    const tip = el('div', { class: 'chart-tip hidden', role: 'tooltip', id: `${container.id}-tip` });
    container.append(tip);
    chart.subscribeCrosshairMove((param) => {
      const fills = param.time === undefined || !param.point ? undefined : byTime.get(param.time);
      if (!fills) {
        tip.classList.add('hidden');
        return;
      }
      tip.replaceChildren(...fills.map((f) => el('div', { class: `tip-${f.side}`, text: f.text })));
      tip.classList.remove('hidden');
      const w = container.clientWidth;
      const x = param.point.x + 14 + tip.offsetWidth > w ? param.point.x - 14 - tip.offsetWidth : param.point.x + 14;
      tip.style.left = `${Math.max(0, x)}px`;
      tip.style.top = `${Math.max(0, param.point.y - tip.offsetHeight - 10)}px`;
    });
    return {
      /** Markers as executionMarkers makes them: their `detail` by bar. */
      set(markers) {
        byTime = new Map();
        for (const m of markers) {
          if (!m.detail) continue;
          if (!byTime.has(m.time)) byTime.set(m.time, []);
          byTime.get(m.time).push({ text: m.detail, side: m.position === 'belowBar' ? 'buy' : 'sell' });
        }
      },
    };
  }

  /**
   * A dotted line at the newest bar's close with its price on the axis; what it is and as of when (the bar's
   * opening time in the trader's zone) go to `note(text)`, for the legend under the chart: a title drawn in the
   * chart would cover the newest candles.
   */
  function lastCloseLine(candles, zone, precision, note) {
    let line;
    let drawn;
    const draw = (bars, timeframe) => {
      drawn = [bars, timeframe];
      if (line) candles.removePriceLine(line);
      line = undefined;
      const n = bars.t.length;
      if (n === 0) return note('');
      line = candles.createPriceLine({
        price: bars.c[n - 1],
        color: palette.last,
        lineWidth: 1,
        lineStyle: 1,
        axisLabelVisible: true,
        title: '',
      });
      // (a daily bar is labelled with its trading day, which its time is 00:00 UTC of)
      const when = timeframe === '1d' ? zoneFormatter('UTC', false)(bars.t[n - 1]) : zoneFormatter(zone, true)(bars.t[n - 1]);
      note(`Newest stored close: ${bars.c[n - 1].toFixed(precision)}, the ${timeframe} bar of ${when}`);
    };
    /** Drawn again in the colours of the theme. */
    draw.repaint = () => drawn && draw(...drawn);
    return draw;
  }

  /** The colours of a chart in the theme drawn now. */
  function themeOptions(p) {
    return {
      layout: {
        background: { color: p.bg },
        textColor: p.text,
        panes: { separatorColor: p.border, separatorHoverColor: p.grid },
      },
      grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
      rightPriceScale: { borderColor: p.border },
      timeScale: { borderColor: p.border },
    };
  }

  function chartOptions(zone) {
    const theme = themeOptions(palette);
    return {
      ...theme,
      autoSize: true,
      // The TradingView attribution is a link under the chart: the built-in logo needs an inline <style>, which the CSP forbids.
      layout: { ...theme.layout, fontSize: FONT_SIZE, attributionLogo: false },
      timeScale: { ...theme.timeScale, timeVisible: true, secondsVisible: false, tickMarkFormatter: tickFormatter(zone) },
      localization: { timeFormatter: zoneFormatter(zone, true) },
      crosshair: { mode: 0 },
    };
  }

  /**
   * The volume histogram in a pane of its own under the candles (a quarter of the chart's height), so it never
   * covers a candle or a marker label; `set(undefined)` removes it and its pane.
   */
  const VOLUME_PANE = 1;
  function volumeLayer(chart) {
    let series;
    const fill = (bars) => {
      const data = new Array(bars.t.length);
      for (let i = 0; i < bars.t.length; i++)
        data[i] = { time: bars.t[i], value: bars.v[i], color: bars.c[i] >= bars.o[i] ? palette.volUp : palette.volDown };
      series.setData(data);
    };
    return {
      set(bars) {
        if (bars && !series) {
          series = chart.addSeries(
            LC.HistogramSeries,
            { priceFormat: { type: 'volume' }, priceLineVisible: false, lastValueVisible: false },
            VOLUME_PANE,
          );
          series.priceScale().applyOptions({ scaleMargins: { top: 0.15, bottom: 0 } });
          chart.panes()[0]?.setStretchFactor(3);
          chart.panes()[VOLUME_PANE]?.setStretchFactor(1);
        }
        if (!bars && series) {
          chart.removeSeries(series);
          series = undefined;
        }
        if (series) fill(bars);
      },
      refresh(bars) {
        if (series) fill(bars);
      },
    };
  }

  function create(container, options = {}) {
    const zone = options.zone ?? 'UTC';
    const chart = LC.createChart(container, chartOptions(zone));
    // No automatic last-price line: it sits at the close of the newest bar loaded, which is often off screen and
    // says neither what it is nor when. A page that wants it asks for a labelled one (`options.lastClose`).
    const candleColours = () => ({ upColor: palette.up, downColor: palette.down, wickUpColor: palette.up, wickDownColor: palette.down });
    const candles = chart.addSeries(LC.CandlestickSeries, {
      ...candleColours(),
      borderVisible: false,
      priceLineVisible: false,
      lastValueVisible: false,
      priceFormat: { type: 'price', precision: options.precision ?? 2, minMove: options.minMove ?? 0.01 },
    });
    let volume;
    let lines = [];
    let bars = { t: [], o: [], h: [], l: [], c: [], v: [] };
    const markers = markerLayer(chart, candles, () => bars);
    const tooltip = fillTooltip(container, chart);
    const lastClose = options.lastClose ? lastCloseLine(candles, zone, options.precision ?? 2, options.lastClose) : undefined;

    function setBars(next, tf) {
      bars = next;
      const data = new Array(next.t.length);
      for (let i = 0; i < next.t.length; i++)
        data[i] = { time: next.t[i], open: next.o[i], high: next.h[i], low: next.l[i], close: next.c[i] };
      candles.setData(data);
      volume?.refresh(bars);
      // A daily bar's time is 00:00 UTC of its trading day: its label is that date, read in UTC (in the trader's
      // zone it would be the evening before).
      const daily = tf === '1d';
      const labelZone = daily ? 'UTC' : zone;
      chart.applyOptions({
        timeScale: { timeVisible: !daily, secondsVisible: false, tickMarkFormatter: tickFormatter(labelZone) },
        localization: { timeFormatter: zoneFormatter(labelZone, !daily) },
      });
      chart.timeScale().fitContent();
      lastClose?.(bars, tf);
    }

    function setVolume(on) {
      volume ??= volumeLayer(chart);
      volume.set(on ? bars : undefined);
    }

    /** Markers as executionMarkers makes them: labels fitted to the chart, details in the tooltip. */
    function setMarkers(list) {
      tooltip.set(list);
      markers.set(list);
    }

    let lineSpecs = [];
    /** Dashed lines across the chart: [{price, role: 'entry'|'exit'}], coloured as the legend shows them. */
    function setPriceLines(list) {
      lineSpecs = list;
      for (const l of lines) candles.removePriceLine(l);
      lines = list.map((l) =>
        candles.createPriceLine({
          price: l.price,
          color: l.role === 'exit' ? palette.exit : palette.entry,
          lineWidth: 1,
          lineStyle: l.style ?? 2,
          axisLabelVisible: true,
          // No title in the chart (it would cover candles): the page's legend names each line by its colour.
          title: '',
        }),
      );
    }

    function showRange(fromSec, toSec) {
      if (bars.t.length === 0) return;
      chart.timeScale().setVisibleRange({ from: Math.max(fromSec, bars.t[0]), to: Math.min(toSec, bars.t[bars.t.length - 1]) });
    }

    /** Everything drawn in the colours of the theme drawn now (called when the theme changes). */
    function repaint() {
      palette = readPalette();
      chart.applyOptions(themeOptions(palette));
      candles.applyOptions(candleColours());
      volume?.refresh(bars);
      setPriceLines(lineSpecs);
      lastClose?.repaint();
      markers.draw();
    }
    window.TL.theme?.onChange(repaint);

    const api = {
      chart,
      candles,
      repaint,
      setBars,
      setVolume,
      setMarkers,
      setPriceLines,
      showRange,
      bars: () => bars,
      /** The markers as drawn (labels fitted), for inspection. */
      markers: markers.shown,
      /** Resolves once the labels are fitted to the chart as drawn. */
      fitted: markers.fitted,
      /** Draw these markers as they are (no fitting): browser tests compare what each label covers. */
      drawRaw: markers.drawRaw,
      redraw: markers.draw,
      container,
    };
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
    candles: {
      create,
      fetchBars,
      decodeBars,
      executionMarkers,
      fitLabels,
      emptyState,
      barIndexAt,
      TIMEFRAME_SECONDS,
      created,
      COLORS,
    },
  });
})();
