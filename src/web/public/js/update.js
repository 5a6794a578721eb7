// "Update from API": starts a background download job (POST /api/market-data/update answers its id at once;
// a second click while it runs joins the same job), then follows GET /api/jobs/:id and shows per-timeframe
// progress, errors with their fix, and calls onDone when the job has finished.
(() => {
  const { api, el } = window.TL;
  const POLL_MS = 400;

  function statusText(tf) {
    if (tf.status === 'running') return tf.requests > 0 ? `downloading ${tf.done}/${tf.requests}` : 'downloading';
    if (tf.status === 'pending') return 'waiting';
    if (tf.status === 'skipped') return 'skipped';
    if (tf.status === 'ok') return 'done';
    if (tf.status === 'error') return 'failed';
    return tf.status;
  }

  function render(container, job) {
    const rows = job.timeframes.map((tf) => {
      const err = tf.error
        ? el(
            'div',
            {},
            el('span', { class: 'status-error', text: `${tf.error.code}: ${tf.error.message}` }),
            tf.error.remedy ? el('div', { class: 'small', text: `Fix: ${tf.error.remedy}` }) : '',
          )
        : '';
      return el(
        'tr',
        { 'data-timeframe': tf.timeframe, 'data-status': tf.status },
        el('td', { class: 'key', 'data-label': 'Timeframe', text: tf.timeframe }),
        el('td', { class: `key key-end status-${tf.status}`, 'data-label': 'Status', text: statusText(tf) }),
        el('td', { class: 'num', 'data-label': 'Fetched', text: String(tf.fetched) }),
        el('td', { class: 'num', 'data-label': 'Stored', text: String(tf.stored) }),
        el('td', { class: 'wrap', 'data-label': 'Problem' }, err),
      );
    });
    const title =
      job.state === 'queued'
        ? `Update of ${job.instrument} is queued (number ${job.queuePosition ?? 1} in line) behind other updates that are running; it starts by itself.`
        : job.state === 'running'
          ? `Updating ${job.instrument} from the market-data provider… ${Math.round(job.progress * 100)}%`
          : job.outcome === 'ok'
            ? `Update of ${job.instrument} finished: every timeframe is up to date.`
            : job.outcome === 'partial'
              ? `Update of ${job.instrument} finished with errors in some timeframes (the others were stored).`
              : `Update of ${job.instrument} failed.`;
    const table = el(
      'table',
      { id: 'update-table', class: 'fold' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { text: 'Timeframe' }),
          el('th', { text: 'Status' }),
          el('th', { class: 'num', text: 'Fetched' }),
          el('th', { class: 'num', text: 'Stored' }),
          el('th', { text: 'Problem' }),
        ),
      ),
      el('tbody', {}, ...rows),
    );
    const parts = [el('p', { id: 'update-title', 'data-state': job.state, 'data-outcome': job.outcome ?? '', text: title })];
    if (job.error) parts.push(el('p', { class: 'notice bad', text: `${job.error.code}: ${job.error.message} Fix: ${job.error.remedy}` }));
    parts.push(el('div', { class: 'table-wrap' }, table));
    container.replaceChildren(...parts);
    container.dataset.jobId = job.id;
    container.dataset.state = job.state;
  }

  async function follow(id, container, onDone) {
    for (;;) {
      let job;
      try {
        job = await api(`/api/jobs/${encodeURIComponent(id)}`);
      } catch (err) {
        container.replaceChildren(el('p', { class: 'notice bad', text: `${err.message} ${err.remedy ? `Fix: ${err.remedy}` : ''}` }));
        return undefined;
      }
      render(container, job);
      if (job.state !== 'running' && job.state !== 'queued') {
        if (onDone) await onDone(job);
        return job;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Wire a button: click → start (or join) the job for `instrument()`, follow it in `container`. */
  function wire(button, container, instrument, onDone, timeframes) {
    let following;
    button.addEventListener('click', async () => {
      button.disabled = true;
      let started;
      try {
        started = await api('/api/market-data/update', {
          json: { instrument: instrument(), ...(timeframes ? { timeframes: timeframes() } : {}) },
        });
      } catch (err) {
        container.classList.remove('hidden');
        container.replaceChildren(el('p', { class: 'notice bad', text: `${err.message}${err.remedy ? ` Fix: ${err.remedy}` : ''}` }));
        return;
      } finally {
        button.disabled = false;
      }
      container.classList.remove('hidden');
      container.dataset.joined = String(started.joined);
      // A second click while the job runs joins it: same id, already followed here.
      if (following === started.id) return;
      following = started.id;
      try {
        await follow(started.id, container, onDone);
      } finally {
        following = undefined;
      }
    });
  }

  window.TL = Object.assign(window.TL ?? {}, { updateJob: { wire, follow, render } });
})();
