// Loaded in <head> without defer, so it runs before the page is first drawn: it applies the remembered theme and
// the remembered table columns at once (no flash of the wrong theme or of columns about to be hidden). Both are
// kept in localStorage; without JavaScript the page follows the system's theme and shows its default columns.
(() => {
  const root = document.documentElement;
  root.classList.add('js');
  const THEME_KEY = 'tl.theme';
  const COLUMNS_KEY = 'tl.columns';
  const THEMES = ['auto', 'light', 'dark'];
  const NAME = /^[a-z][a-z0-9-]{0,40}$/;

  const read = (key) => {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  };
  const write = (key, value) => {
    try {
      if (value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      // storage refused (private mode, quota): the choice lasts for this page only
    }
  };

  // Theme: "auto" follows prefers-color-scheme (CSS color-scheme: light dark); light/dark pin it.
  const listeners = [];
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  function themeSetting() {
    const v = read(THEME_KEY);
    return THEMES.includes(v) ? v : 'auto';
  }
  function applyTheme(setting) {
    if (setting === 'auto') delete root.dataset.theme;
    else root.dataset.theme = setting;
  }
  const notify = () => {
    for (const fn of listeners) fn();
  };
  dark.addEventListener('change', () => {
    if (themeSetting() === 'auto') notify();
  });
  const theme = {
    setting: themeSetting,
    /** The theme drawn now: 'light' or 'dark'. */
    current: () => root.dataset.theme ?? (dark.matches ? 'dark' : 'light'),
    set(setting) {
      const s = THEMES.includes(setting) ? setting : 'auto';
      write(THEME_KEY, s === 'auto' ? undefined : s);
      applyTheme(s);
      notify();
    },
    /** Call `fn` whenever the theme drawn changes (picker or system). */
    onChange: (fn) => listeners.push(fn),
  };
  applyTheme(themeSetting());

  // Columns: {tableId: {column: true|false}} — shown or hidden by choice, over the table's default folding. A
  // column hidden by choice is left out of the cards too (a table in a box under 36rem is a list of cards, which
  // show every other field); one shown by choice matters only to a table drawn as a table.
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  function columnPrefs() {
    try {
      const v = JSON.parse(read(COLUMNS_KEY) ?? '{}');
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      return {};
    }
  }
  function applyColumns(prefs) {
    const hidden = [];
    const shown = [];
    for (const [table, cols] of Object.entries(prefs)) {
      if (!NAME.test(table) || !cols || typeof cols !== 'object') continue;
      for (const [col, show] of Object.entries(cols)) {
        if (!NAME.test(col) || typeof show !== 'boolean') continue;
        (show ? shown : hidden).push(`#${table} .c-${col}`);
      }
    }
    const rules = [];
    if (hidden.length) rules.push(`${hidden.join(', ')} { display: none !important; }`);
    if (shown.length) rules.push(`@container table-wrap (min-width: 36rem) { ${shown.join(', ')} { display: table-cell !important; } }`);
    sheet.replaceSync(rules.join('\n'));
  }
  const columns = {
    get: (table) => ({ ...(columnPrefs()[table] ?? {}) }),
    /** Show (true), hide (false) or return to the default (undefined) a column of a table. */
    set(table, col, shown) {
      const prefs = columnPrefs();
      const t = { ...(prefs[table] ?? {}) };
      if (shown === undefined) delete t[col];
      else t[col] = shown;
      if (Object.keys(t).length) prefs[table] = t;
      else delete prefs[table];
      write(COLUMNS_KEY, Object.keys(prefs).length ? JSON.stringify(prefs) : undefined);
      applyColumns(prefs);
    },
    reset(table) {
      const prefs = columnPrefs();
      delete prefs[table];
      write(COLUMNS_KEY, Object.keys(prefs).length ? JSON.stringify(prefs) : undefined);
      applyColumns(prefs);
    },
  };
  applyColumns(columnPrefs());

  document.addEventListener('DOMContentLoaded', () => {
    const select = document.getElementById('theme-select');
    if (!select) return;
    select.value = themeSetting();
    select.addEventListener('change', () => theme.set(select.value));
  });

  window.TL = Object.assign(window.TL ?? {}, { theme, columns });
})();
