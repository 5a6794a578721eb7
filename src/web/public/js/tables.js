// Column choosers: a "Columns" menu above every table marked data-columns, listing the columns that can fold
// (every <th data-col> that is not a key column). A ticked box shows the column, an unticked one hides it; the choice
// is remembered per table (TL.columns, applied before first paint by boot.js). On a phone, where the table is a list
// of cards showing every field, the same menu leaves fields out of the cards.
(() => {
  const { columns } = window.TL ?? {};
  if (!columns) return;

  const label = (th) => th.textContent.trim() || th.dataset.col;
  const shown = (th) => getComputedStyle(th).display !== 'none';

  function chooser(table) {
    const heads = [...table.querySelectorAll('thead th[data-col]')].filter((th) => !th.classList.contains('key'));
    if (heads.length === 0) return;
    const wrap = table.closest('.table-wrap') ?? table;
    const menu = document.createElement('div');
    menu.className = 'col-menu';
    const boxes = heads.map((th) => {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = th.dataset.col;
      box.addEventListener('change', () => {
        columns.set(table.id, th.dataset.col, box.checked);
      });
      const row = document.createElement('label');
      row.className = 'inline';
      row.append(box, ` ${label(th)}`);
      menu.append(row);
      return { box, th };
    });
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'secondary button small';
    reset.textContent = 'Default columns';
    const actions = document.createElement('div');
    actions.className = 'actions';
    actions.append(reset);
    menu.append(actions);

    const details = document.createElement('details');
    details.className = 'col-chooser';
    details.dataset.table = table.id;
    const summary = document.createElement('summary');
    summary.textContent = 'Columns';
    summary.setAttribute('aria-label', `Columns of this table (${heads.length} can be shown or hidden)`);
    details.append(summary, menu);
    wrap.before(details);

    const sync = () => {
      for (const { box, th } of boxes) box.checked = shown(th);
    };
    reset.addEventListener('click', () => {
      columns.reset(table.id);
      sync();
    });
    details.addEventListener('toggle', () => {
      if (details.open) sync();
    });
    // Closed by a click elsewhere or Escape, like a menu.
    document.addEventListener('click', (e) => {
      if (details.open && !details.contains(e.target)) details.open = false;
    });
    details.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && details.open) {
        details.open = false;
        summary.focus();
      }
    });
  }

  for (const table of document.querySelectorAll('table[data-columns][id]')) chooser(table);
})();
