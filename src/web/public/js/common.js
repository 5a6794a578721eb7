// Shared helpers for tradelog's pages: the CSRF token, JSON calls with the API's error shape, formatting.
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /** Error from the API: {error:{code, message, remedy}}. */
  class ApiError extends Error {
    constructor(status, body) {
      const e = body?.error ?? {};
      super(e.message ?? `HTTP ${status}`);
      this.status = status;
      this.code = e.code ?? 'TL_WEB_HTTP';
      this.remedy = e.remedy ?? '';
    }
  }

  async function api(path, options = {}) {
    const headers = { accept: 'application/json', ...(options.headers ?? {}) };
    let body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      headers['x-csrf-token'] = csrf();
      body = JSON.stringify(options.json);
    }
    const res = await fetch(path, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body, credentials: 'same-origin' });
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  /** JSON embedded in the page as <script type="application/json" id="...">. */
  function pageData(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent || 'null') : undefined;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  window.TL = Object.assign(window.TL ?? {}, { api, ApiError, csrf, pageData, el });
})();
