// The charts page: instrument, timeframe, range and volume pickers, the trader's executions as markers, and
// "Update from API". Without JavaScript the pickers still work as a plain GET form.
(() => {
  const { api, pageData } = window.TL;
  const { create, fetchBars, executionMarkers, emptyState, TIMEFRAME_SECONDS } = window.TL.candles;
  const data = pageData('charts-data');
  if (!data?.instrument) return;

  const state = { instrument: data.instrument, timeframe: data.timeframe, range: data.range, volume: data.volume, coverage: data.coverage };
  const chartEl = document.getElementById('chart');
  const emptyEl = document.getElementById('chart-empty');
  const form = document.getElementById('chart-form');
  const lastCloseNote = document.getElementById('last-close-note');
  const chart = create(chartEl, {
    zone: data.zone,
    precision: data.precision,
    minMove: data.tickSize,
    lastClose: (note) => {
      lastCloseNote.textContent = note;
      document.getElementById('legend-last').hidden = !note;
    },
  });
  let seq = 0;

  function syncUrl() {
    const qs = new URLSearchParams({ instrument: state.instrument, timeframe: state.timeframe, range: state.range });
    if (!state.volume) qs.set('volume', '0');
    history.replaceState(null, '', `/charts?${qs}`);
    for (const b of form.querySelectorAll('button[name="timeframe"]')) b.setAttribute('aria-pressed', String(b.value === state.timeframe));
  }

  function renderCoverage() {
    for (const row of document.querySelectorAll('#coverage tbody tr')) {
      const c = state.coverage[row.dataset.timeframe];
      row.querySelector('.count').textContent = c ? c.count.toLocaleString('en-US') : '0';
      row.querySelector('.first').textContent = c ? c.first.replace('T', ' ').slice(0, 16) : '';
      row.querySelector('.last').textContent = c ? c.last.replace('T', ' ').slice(0, 16) : '';
    }
  }

  async function draw() {
    const my = ++seq;
    const cov = state.coverage[state.timeframe];
    chartEl.dataset.state = 'loading';
    if (!cov || cov.count === 0) {
      chart.setBars({ t: [], o: [], h: [], l: [], c: [], v: [] }, state.timeframe);
      chart.setMarkers([]);
      emptyState(emptyEl, {
        title: `No ${state.timeframe} bars of ${state.instrument} are stored yet.`,
        instrument: state.instrument,
        timeframe: state.timeframe,
        updateButton: document.getElementById('update-btn'),
      });
      chartEl.dataset.bars = '0';
      chartEl.dataset.markers = '0';
      chartEl.dataset.state = 'empty';
      return;
    }
    const last = Math.floor(Date.parse(cov.last) / 1000);
    const span = data.ranges[state.range];
    const from = span ? last - span : undefined;
    const tf = TIMEFRAME_SECONDS[state.timeframe];
    const limit = span ? Math.min(20000, Math.ceil(span / tf) + 10) : 20000;
    let bars;
    let executions = [];
    try {
      const q = { limit, ...(from !== undefined ? { from } : {}) };
      [bars, executions] = await Promise.all([
        fetchBars(state.instrument, state.timeframe, q),
        api(
          `/api/executions?${new URLSearchParams({ instrument: state.instrument, ...(from !== undefined ? { from: String(from) } : {}) })}`,
        ),
      ]);
    } catch (err) {
      if (my !== seq) return;
      emptyState(emptyEl, { title: 'The chart could not be loaded.', detail: `${err.message}${err.remedy ? ` Fix: ${err.remedy}` : ''}` });
      chartEl.dataset.state = 'error';
      return;
    }
    if (my !== seq) return;
    emptyEl.classList.add('hidden');
    chart.setBars(bars, state.timeframe);
    chart.setVolume(state.volume);
    const markers = executionMarkers(bars, state.timeframe, executions, data.zone);
    chart.setMarkers(markers);
    chartEl.dataset.bars = String(bars.t.length);
    chartEl.dataset.markers = String(markers.length);
    chartEl.dataset.state = 'ready';
  }

  form.addEventListener('submit', (e) => e.preventDefault());
  form.querySelector('select[name="instrument"]').addEventListener('change', (e) => {
    // Another instrument: its pickers and coverage come from the server.
    window.location.href = `/charts?${new URLSearchParams({ instrument: e.target.value, timeframe: state.timeframe, range: state.range })}`;
  });
  for (const b of form.querySelectorAll('button[name="timeframe"]')) {
    b.addEventListener('click', () => {
      state.timeframe = b.value;
      syncUrl();
      draw();
    });
  }
  form.querySelector('select[name="range"]').addEventListener('change', (e) => {
    state.range = e.target.value;
    syncUrl();
    draw();
  });
  form.querySelector('input[name="volume"]').addEventListener('change', (e) => {
    state.volume = e.target.checked;
    chart.setVolume(state.volume);
    document.getElementById('legend-volume').hidden = !state.volume;
    syncUrl();
  });

  window.TL.updateJob.wire(
    document.getElementById('update-btn'),
    document.getElementById('update-progress'),
    () => state.instrument,
    async () => {
      state.coverage = Object.fromEntries(
        (await api(`/api/market-data/coverage?${new URLSearchParams({ instrument: state.instrument })}`)).map((c) => [c.timeframe, c]),
      );
      renderCoverage();
      await draw();
    },
  );

  syncUrl();
  draw();
})();
