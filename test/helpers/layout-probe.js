// Runs inside the page (as a string through page.evaluate): measures what a person would see go wrong with the
// layout and the colours of the page as drawn now. `layoutProbe.check()` returns
// { overflow, truncated, hiddenKeys, contrast, scrollers, texts } — lists of problems, each a short string, plus
// the intentional scroll containers found and the number of text runs whose contrast was measured.
// biome-ignore lint/correctness/noUnusedVariables: used by the evaluated expression that follows it
var layoutProbe = {
  check() {
    const doc = document.documentElement;
    const vw = doc.clientWidth;
    const name = (el) => {
      const id = el.id ? `#${el.id}` : '';
      const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
    };
    const shown = (el) => el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    // The charts' own canvases and the library's table of panes are drawn to size by the library.
    const inLibrary = (el) => el.closest('.tv-lightweight-charts, .chart canvas') !== null;

    // 1. Overflow: the document, and every box whose content is wider than it without being meant to scroll.
    const overflow = [];
    const scrollers = [];
    if (doc.scrollWidth > vw) overflow.push(`document: scrollWidth ${doc.scrollWidth} > clientWidth ${vw}`);
    if (document.body.scrollWidth > document.body.clientWidth)
      overflow.push(`body: scrollWidth ${document.body.scrollWidth} > clientWidth ${document.body.clientWidth}`);
    for (const el of document.body.querySelectorAll('*')) {
      if (!shown(el) || inLibrary(el) || el instanceof SVGElement) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'inline' || cs.display === 'contents') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      // A box wider than the window, or past its right edge (left of 0 is as bad), unless inside a scroller.
      const scrollerAbove = el.parentElement?.closest('.table-wrap, [data-scroll]');
      if (!scrollerAbove && (r.right > vw + 0.5 || r.left < -0.5))
        overflow.push(`${name(el)}: box ${Math.round(r.left)}…${Math.round(r.right)} outside the window 0…${vw}`);
      if (cs.overflowX === 'auto' || cs.overflowX === 'scroll') {
        if (el.scrollWidth > el.clientWidth + 1) scrollers.push(`${name(el)} scrolls ${el.scrollWidth - el.clientWidth}px`);
        continue;
      }
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
        overflow.push(`${name(el)}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth} (overflow-x: ${cs.overflowX})`);
    }

    // 2. Truncated amounts: a number cell, a P&L figure or a calendar amount whose text does not fit its box, is
    // cut with an ellipsis, or lies beyond the window.
    const truncated = [];
    const amounts = document.querySelectorAll('td.num, th.num, [data-amount], .gain, .loss, .stat .value, .kpi .value');
    /** A figure (-$1,234.50, 6008.8333, +$1.2k, 41.9%) drawn on more than one line. */
    const broken = (el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const m of n.nodeValue.matchAll(/[-+]?\$?\d[\d,.]*[kM%]?/g)) {
          if (m[0].length < 2) continue;
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
          if (tops.size > 1) return m[0];
        }
      }
      return undefined;
    };
    for (const el of amounts) {
      if (!shown(el)) continue;
      const split = broken(el);
      if (split) truncated.push(`${name(el)}: ${split} broken across lines`);
      const cs = getComputedStyle(el);
      if (cs.display === 'inline') {
        // An inline figure: its text must lie within the box of its nearest block ancestor and the window.
        const box = el.parentElement?.closest('*:not(span):not(a):not(strong):not(em)');
        const r = el.getBoundingClientRect();
        if (r.right > vw + 0.5) truncated.push(`${name(el)}: ends at ${Math.round(r.right)} past the window ${vw}`);
        if (box && getComputedStyle(box).overflowX !== 'visible') {
          const b = box.getBoundingClientRect();
          if (r.right > b.right + 0.5 || r.left < b.left - 0.5) truncated.push(`${name(el)}: cut by ${name(box)}`);
        }
        continue;
      }
      if (el.scrollWidth > el.clientWidth + 1) truncated.push(`${name(el)}: scrollWidth ${el.scrollWidth} > ${el.clientWidth}`);
      if (cs.textOverflow !== 'clip' && cs.overflowX !== 'visible') truncated.push(`${name(el)}: text-overflow ${cs.textOverflow}`);
      const range = document.createRange();
      range.selectNodeContents(el);
      const t = range.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      if (t.width > 0 && (t.right > r.right + 1 || t.left < r.left - 1))
        truncated.push(
          `${name(el)}: text ${Math.round(t.left)}…${Math.round(t.right)} outside its box ${Math.round(r.left)}…${Math.round(r.right)}`,
        );
      if (t.right > vw + 0.5) truncated.push(`${name(el)}: text ends at ${Math.round(t.right)} past the window ${vw}`);
    }

    // 3. Key columns (time, instrument, side, net) of every folding table: shown, and inside the visible part of
    // the table's box and of the window.
    const hiddenKeys = [];
    for (const table of document.querySelectorAll('table.fold')) {
      if (!shown(table)) continue;
      const wrap = table.closest('.table-wrap') ?? table;
      const w = wrap.getBoundingClientRect();
      const row = table.querySelector('tbody tr');
      if (!row) continue;
      for (const td of row.querySelectorAll('td.key')) {
        // (an open position has no net P&L yet: its empty cell takes no room)
        if (!td.textContent.trim()) continue;
        const label = `${table.id || table.className} ${td.dataset.label ?? td.className}`;
        if (!shown(td) || getComputedStyle(td).display === 'none') {
          hiddenKeys.push(`${label}: not shown`);
          continue;
        }
        const r = td.getBoundingClientRect();
        if (r.left < Math.max(0, w.left) - 1 || r.right > Math.min(vw, w.right) + 1)
          hiddenKeys.push(
            `${label}: ${Math.round(r.left)}…${Math.round(r.right)} outside the visible ${Math.round(w.left)}…${Math.round(w.right)}`,
          );
      }
    }

    // 4. Contrast (WCAG 2.x): every run of text against the colour actually behind it, composited through the
    // backgrounds of its ancestors; 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
    const parse = (c) => {
      let m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(c);
      if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
      m = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)$/.exec(c);
      if (m) return [Number(m[1]) * 255, Number(m[2]) * 255, Number(m[3]) * 255, m[4] === undefined ? 1 : Number(m[4])];
      return undefined;
    };
    const over = (top, below) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1);
    };
    const lum = (c) => {
      const v = c.slice(0, 3).map((x) => {
        const s = x / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const canvasBg = parse(getComputedStyle(doc).backgroundColor);
    const pageBg = canvasBg && canvasBg[3] > 0 ? canvasBg : parse(getComputedStyle(document.body).backgroundColor);
    const unknown = [];
    /** The opaque colour behind `el`, or undefined where an image or a canvas is behind it. */
    const behind = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.backgroundImage !== 'none') return undefined;
        const c = parse(cs.backgroundColor);
        if (c === undefined) {
          unknown.push(cs.backgroundColor);
          return undefined;
        }
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let base = [255, 255, 255, 1];
      if (layers.length === 0 || layers[layers.length - 1][3] < 1) base = pageBg ?? base;
      for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
      return base;
    };
    const contrast = [];
    let texts = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.nodeValue.trim()) continue;
      const el = n.parentElement;
      if (!el || seen.has(el) || el.closest('script, style, noscript, option, .sr-only')) continue;
      seen.add(el);
      if (!shown(el) || el.closest(':disabled, [aria-disabled="true"]')) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const rr = range.getBoundingClientRect();
      if (rr.width === 0 || rr.height === 0) continue;
      const cs = getComputedStyle(el);
      const svgText = el instanceof SVGElement;
      const fg = parse(svgText ? cs.fill : cs.color);
      if (!fg) {
        unknown.push(svgText ? cs.fill : cs.color);
        continue;
      }
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const bg = behind(el);
      if (!bg) continue;
      const ink = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      const size = Number.parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      const got = ratio(ink, bg);
      texts++;
      if (got < need - 0.005) {
        const hex = (c) =>
          `#${c
            .slice(0, 3)
            .map((v) => Math.round(v).toString(16).padStart(2, '0'))
            .join('')}`;
        contrast.push(`${name(el)}: ${got.toFixed(2)}:1 < ${need}:1 (${hex(ink)} on ${hex(bg)}, ${size}px)`);
      }
    }
    // Non-text contrast (WCAG 1.4.11): the border that shows where a field or a button group is, 3:1 against what
    // is around it.
    const fields = document.querySelectorAll(
      'input:not([type="hidden"], [type="checkbox"], [type="radio"], [type="file"], [type="submit"]), select, textarea, .seg',
    );
    for (const el of fields) {
      if (!shown(el) || el.matches(':disabled')) continue;
      const border = parse(getComputedStyle(el).borderTopColor);
      const around = el.parentElement ? behind(el.parentElement) : undefined;
      if (!border || !around) continue;
      const got = ratio(over(border, around), around);
      if (got < 3 - 0.005) contrast.push(`${name(el)}: border ${got.toFixed(2)}:1 < 3:1 against its surroundings`);
    }
    if (unknown.length) contrast.push(`colours the probe could not read: ${[...new Set(unknown)].join(', ')}`);
    return { overflow, truncated, hiddenKeys, contrast, scrollers, texts };
  },
};
