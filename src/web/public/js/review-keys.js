// Reviewing from the keyboard, on the positions list and a position page: j/k next/previous, r reviewed, e note,
// ? the list of keys. Keys typed into a field are the field's. The list's selection boxes get "select all" here.
(() => {
  const list = document.getElementById('positions');
  const positionPage = document.getElementById('review-nav');
  if (!list && !positionPage) return;

  const KEYS = list
    ? [
        ['j', 'Next position (down the list)'],
        ['k', 'Previous position (up the list)'],
        ['o or Enter', 'Open the position'],
        ['r', 'Mark the position reviewed, or not reviewed'],
        ['e', 'Open the position to edit its note'],
        ['?', 'Show or hide these keys'],
      ]
    : [
        ['j', 'Next position in the list'],
        ['k', 'Previous position in the list'],
        ['u', 'Back to the list'],
        ['r', 'Mark reviewed, or not reviewed (saves the journal)'],
        ['e', 'Edit the note'],
        ['?', 'Show or hide these keys'],
      ];

  /** Typing into a field: its keys are the field's (a checkbox or a button takes no text). */
  function typing(target) {
    if (!(target instanceof Element)) return false;
    if (target.closest('textarea, select, [contenteditable=""], [contenteditable="true"]')) return true;
    const input = target.closest('input');
    return Boolean(input) && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(input.type);
  }

  let overlay;
  let returnFocus;
  function buildOverlay() {
    const { el } = window.TL;
    const dl = el('dl', { class: 'shortcut-list' });
    for (const [key, what] of KEYS) dl.append(el('dt', {}, el('kbd', { text: key })), el('dd', { text: what }));
    const close = el('button', { type: 'button', class: 'secondary', id: 'shortcuts-close', text: 'Close' });
    const box = el(
      'div',
      { class: 'shortcuts-box', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'shortcuts-title', tabindex: '-1' },
      el('h2', { id: 'shortcuts-title', text: 'Keyboard shortcuts' }),
      dl,
      el('p', { class: 'muted small', text: 'Keys typed into a field (the note, the tags, a filter) stay in the field.' }),
      close,
    );
    const wrap = el('div', { class: 'shortcuts-overlay', id: 'shortcuts', hidden: true }, box);
    wrap.addEventListener('click', (e) => {
      if (e.target === wrap) toggleOverlay(false);
    });
    close.addEventListener('click', () => toggleOverlay(false));
    document.body.append(wrap);
    return wrap;
  }
  function toggleOverlay(show) {
    overlay ??= buildOverlay();
    const open = show ?? overlay.hidden;
    if (open === !overlay.hidden) return;
    overlay.hidden = !open;
    if (open) {
      returnFocus = document.activeElement;
      overlay.querySelector('[role="dialog"]').focus();
    } else if (returnFocus instanceof HTMLElement) {
      returnFocus.focus();
    }
  }

  // ---- the list: a cursor row moved with j/k ----
  const rows = () => [...(list?.querySelectorAll('tbody tr[data-id]') ?? [])];
  let cursor = -1;
  function setCursor(i) {
    const all = rows();
    if (all.length === 0) return;
    cursor = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((row, n) => {
      row.classList.toggle('is-cursor', n === cursor);
      if (n === cursor) row.setAttribute('aria-current', 'true');
      else row.removeAttribute('aria-current');
    });
    all[cursor].scrollIntoView({ block: 'nearest' });
  }
  const current = () => rows()[cursor];
  const rowLink = (row) => row?.querySelector('a[href^="/positions/"]');

  async function toggleRowReviewed(row) {
    const reviewed = row.dataset.reviewed !== '1';
    const body = new URLSearchParams({ id: row.dataset.id, reviewed: reviewed ? 'yes' : 'no' });
    const status = document.getElementById('review-status');
    try {
      const res = await fetch('/positions/reviewed', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': window.TL.csrf() },
        body,
        credentials: 'same-origin',
      });
      const data = await res.json().catch(() => undefined);
      if (!res.ok) throw new Error(data?.error?.message ?? `HTTP ${res.status}`);
    } catch (err) {
      if (status) status.textContent = `Not saved: ${err.message}`;
      return;
    }
    row.dataset.reviewed = reviewed ? '1' : '0';
    const cell = row.querySelector('.journal-cell');
    const badge = cell?.querySelector('.badge.reviewed');
    if (reviewed && cell && !badge) cell.prepend(window.TL.el('span', { class: 'badge reviewed', text: 'reviewed' }), ' ');
    if (!reviewed && badge) badge.remove();
    if (status) status.textContent = `Position ${row.dataset.id} marked ${reviewed ? 'reviewed' : 'not reviewed'}.`;
  }

  function onListKey(key) {
    const all = rows();
    if (key === 'j') {
      if (cursor === all.length - 1) {
        const nextPage = document.querySelector('#pager a[rel="next"]');
        if (nextPage) location.href = nextPage.href;
        return true;
      }
      setCursor(cursor + 1);
      return true;
    }
    if (key === 'k') {
      if (cursor === 0) {
        const prevPage = document.querySelector('#pager a[rel="prev"]');
        if (prevPage) location.href = prevPage.href;
        return true;
      }
      setCursor(cursor < 0 ? 0 : cursor - 1);
      return true;
    }
    const row = current();
    if (!row) return false;
    if (key === 'o' || key === 'Enter') {
      const link = rowLink(row);
      if (link) location.href = link.href;
      return Boolean(link);
    }
    if (key === 'r') {
      toggleRowReviewed(row);
      return true;
    }
    if (key === 'e') {
      const link = rowLink(row);
      if (link) location.href = `${link.href}#note`;
      return Boolean(link);
    }
    return false;
  }

  // ---- a position page ----
  function follow(id) {
    const link = document.getElementById(id);
    if (link) location.href = link.href;
    return true;
  }
  function editNote() {
    const note = document.getElementById('note');
    if (!note) return false;
    note.scrollIntoView({ block: 'center' });
    note.focus();
    return true;
  }
  function onPositionKey(key) {
    if (key === 'j') return follow('next-position');
    if (key === 'k') return follow('prev-position');
    if (key === 'u') return follow('back-to-list');
    if (key === 'e') return editNote();
    if (key === 'r') {
      const box = document.getElementById('reviewed');
      const form = document.getElementById('journal-form');
      if (!box || !form) return false;
      box.checked = !box.checked;
      form.requestSubmit();
      return true;
    }
    return false;
  }

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (overlay && !overlay.hidden) {
      if (e.key === 'Escape' || e.key === '?') {
        toggleOverlay(false);
        e.preventDefault();
      }
      return;
    }
    if (typing(e.target)) return;
    if (e.key === '?') {
      toggleOverlay(true);
      e.preventDefault();
      return;
    }
    // Enter on a link or a button is that element's own.
    if (e.key === 'Enter' && e.target instanceof Element && e.target.closest('a, button')) return;
    const handled = list ? onListKey(e.key) : onPositionKey(e.key);
    if (handled) e.preventDefault();
  });

  if (list) {
    // Back from a position (its link ends in #row-<id>): the cursor is on the row just reviewed.
    const fromHash = /^#row-(\d+)$/.exec(location.hash);
    if (fromHash) {
      const i = rows().findIndex((row) => row.dataset.id === fromHash[1]);
      if (i >= 0) setCursor(i);
    }
    const all = document.getElementById('pick-all');
    if (all) {
      all.hidden = false;
      all.addEventListener('change', () => {
        for (const box of list.querySelectorAll('tbody input[type="checkbox"][name="id"]')) box.checked = all.checked;
      });
    }
    const status = window.TL.el('p', { id: 'review-status', class: 'muted small', role: 'status', 'aria-live': 'polite' });
    list.closest('.table-wrap')?.after(status);
  } else if (location.hash === '#note') {
    editNote();
  }
})();
