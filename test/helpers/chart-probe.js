// Runs inside the page (as a string through page.evaluate, which the page's CSP does not block): reads what the
// charts drew back from their canvases. Browser tests call `tlProbe.<fn>()` after injecting this source.
// biome-ignore lint/correctness/noUnusedVariables: used by the evaluated expression that follows it
var tlProbe = {
  state() {
    const el = document.getElementById('chart');
    return { state: el?.dataset.state ?? '', bars: Number(el?.dataset.bars), markers: Number(el?.dataset.markers) };
  },

  /** Pixels of every chart canvas counted by colour: candle up/down, buy and sell markers (exact RGB, opaque). */
  colours() {
    const hex = (h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    const { COLORS } = window.TL.candles;
    const want = { up: hex(COLORS.UP), down: hex(COLORS.DOWN), buy: hex(COLORS.BUY), sell: hex(COLORS.SELL) };
    const counts = { up: 0, down: 0, buy: 0, sell: 0 };
    for (const c of document.querySelectorAll('#chart canvas')) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 250) continue;
        for (const [k, rgb] of Object.entries(want)) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) counts[k]++;
      }
    }
    return counts;
  },

  /**
   * For each execution of the position page: the candle it belongs to, and how many marker-coloured pixels the
   * canvas shows in that candle's column above its high and below its low.
   */
  fills() {
    const TL = window.TL;
    const data = JSON.parse(document.getElementById('position-data')?.textContent ?? '{}');
    const api = TL.candles.created[0];
    if (!api) return { error: 'no chart' };
    const bars = api.bars();
    const tf = document.querySelector('#position-timeframes button[aria-pressed="true"]')?.getAttribute('value') ?? '';
    const canvas = [...document.querySelectorAll('#chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return { error: 'no canvas' };
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const hex = (h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    const results = [];
    for (const e of data.executions) {
      const sec = Date.parse(e.time) / 1000;
      const i = TL.candles.barIndexAt(bars.t, sec, tf);
      if (i < 0) continue;
      const x = Math.round(api.chart.timeScale().timeToCoordinate(bars.t[i]) * ratio);
      const yHigh = api.candles.priceToCoordinate(bars.h[i]) * ratio;
      const yLow = api.candles.priceToCoordinate(bars.l[i]) * ratio;
      const rgb = hex(e.side === 'buy' ? TL.candles.COLORS.BUY : TL.candles.COLORS.SELL);
      let above = 0;
      let below = 0;
      for (let y = 0; y < canvas.height; y++) {
        for (let dx = -3; dx <= 3; dx++) {
          const o = (y * canvas.width + x + dx) * 4;
          if (img[o] === rgb[0] && img[o + 1] === rgb[1] && img[o + 2] === rgb[2]) {
            if (y < yHigh) above++;
            if (y > yLow) below++;
          }
        }
      }
      results.push({ label: e.label, side: e.side, barTime: bars.t[i], sec, above, below });
    }
    const lines = api.candles.priceLines().map((l) => l.options());
    return { results, lines, avgEntryPrice: data.avgEntryPrice };
  },

  /**
   * What each marker label drawn on the chart covers. For each label the markers are drawn again as the page drew
   * them, once without that label and once with it (the price scale held still, the label's stack-mates on its
   * bar left out so nothing moves): the pixels that differ are the label's own. Counts, per label, the pixels it
   * takes from candles (exact candle colours, wicks included) and from marker arrows, and the pixels two labels of
   * different bars share (labels stacked on one bar are placed by the library one above the other).
   */
  async labels() {
    const TL = window.TL;
    const api = TL.candles.created[0];
    if (!api) return { error: 'no chart' };
    const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const canvas = [...document.querySelectorAll('#chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return { error: 'no canvas' };
    const hex = (h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    const { UP, DOWN, BUY, SELL } = TL.candles.COLORS;
    const is = (d, o, rgb) => d[o] === rgb[0] && d[o + 1] === rgb[1] && d[o + 2] === rgb[2] && d[o + 3] > 250;
    await api.fitted();
    await frames();
    const drawn = api.markers();
    const labelled = drawn.filter((m) => m.text);
    const mates = (a, b) => a !== b && a.time === b.time && a.position === b.position;
    api.chart.priceScale('right').applyOptions({ autoScale: false });
    const snap = async (list) => {
      api.drawRaw(list);
      await frames();
      return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    };
    const candle = [hex(UP), hex(DOWN)];
    const marker = [hex(BUY), hex(SELL)];
    const owned = [];
    const labels = [];
    for (const m of labelled) {
      const others = drawn.filter((o) => o !== m && !mates(o, m));
      const bare = await snap([...others, { ...m, text: '' }].sort((a, b) => a.time - b.time));
      const img = await snap([...others, m].sort((a, b) => a.time - b.time));
      const px = [];
      for (let o = 0; o < img.length; o += 4) {
        if (img[o] !== bare[o] || img[o + 1] !== bare[o + 1] || img[o + 2] !== bare[o + 2]) px.push(o);
      }
      owned.push(px);
      labels.push({
        text: m.text,
        time: m.time,
        pixels: px.length,
        onCandles: px.filter((o) => candle.some((c) => is(bare, o, c))).length,
        onMarkers: px.filter((o) => marker.some((c) => is(bare, o, c))).length,
      });
    }
    api.chart.priceScale('right').applyOptions({ autoScale: true });
    api.redraw();
    await api.fitted();
    const shared = [];
    for (let a = 0; a < owned.length; a++) {
      const set = new Set(owned[a]);
      for (let b = a + 1; b < owned.length; b++) {
        if (mates(labelled[a], labelled[b])) continue;
        const n = owned[b].filter((o) => set.has(o)).length;
        if (n > 0) shared.push({ a: `${labelled[a].text}@${labelled[a].time}`, b: `${labelled[b].text}@${labelled[b].time}`, pixels: n });
      }
    }
    return { markers: drawn.length, labels, shared };
  },
};
