// A position's chart: candles around the position's window, its executions as markers on the candle and side
// where they happened (BuyToCover is a buy), and the average entry (and exit) price lines.
(() => {
  const { pageData } = window.TL;
  const { create, fetchBars, executionMarkers, emptyState } = window.TL.candles;
  const data = pageData('position-data');
  if (!data) return;
  const chartEl = document.getElementById('chart');
  const emptyEl = document.getElementById('chart-empty');
  const chart = create(chartEl, { zone: data.zone, precision: data.precision, minMove: data.tickSize });
  let timeframe = data.timeframe;

  async function draw() {
    chartEl.dataset.state = 'loading';
    let bars;
    try {
      bars = await fetchBars(data.instrument, timeframe, { from: data.from, to: data.to, limit: 5000 });
    } catch (err) {
      emptyState(emptyEl, { title: 'The chart could not be loaded.', detail: `${err.message}${err.remedy ? ` Fix: ${err.remedy}` : ''}` });
      chartEl.dataset.state = 'error';
      return;
    }
    chart.setBars(bars, timeframe);
    if (bars.t.length === 0) {
      emptyState(emptyEl, {
        title: `No ${timeframe} bars of ${data.instrument} are stored around this position.`,
        instrument: data.instrument,
        timeframe,
        updateButton: document.getElementById('update-btn'),
      });
      chart.setMarkers([]);
      chartEl.dataset.bars = '0';
      chartEl.dataset.markers = '0';
      chartEl.dataset.state = 'empty';
      return;
    }
    emptyEl.classList.add('hidden');
    const markers = executionMarkers(bars, timeframe, data.executions, data.zone);
    chart.setMarkers(markers);
    const lines = [{ price: data.avgEntryPrice, role: 'entry' }];
    if (data.avgExitPrice !== null) lines.push({ price: data.avgExitPrice, role: 'exit' });
    chart.setPriceLines(lines);
    chart.showRange(data.openedSec - data.padSec, data.closedSec + data.padSec);
    chartEl.dataset.bars = String(bars.t.length);
    chartEl.dataset.markers = String(markers.length);
    chartEl.dataset.state = 'ready';
  }

  for (const b of document.querySelectorAll('#position-timeframes button')) {
    b.addEventListener('click', () => {
      timeframe = b.value;
      for (const x of document.querySelectorAll('#position-timeframes button')) x.setAttribute('aria-pressed', String(x === b));
      draw();
    });
  }
  const btn = document.getElementById('update-btn');
  if (btn) window.TL.updateJob.wire(btn, document.getElementById('update-progress'), () => data.instrument, draw);
  draw();
})();
