/**
 * Characters a terminal acts on instead of printing: C0 controls (U+0000–U+001F, ESC among them, which starts
 * the escape sequences that recolour, retitle or rewrite a terminal), DEL, C1 controls (U+0080–U+009F, U+009B is
 * a one-character CSI) and the bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069), which make
 * text display in another order than it is stored. Text from a CSV or an old database may hold any of them.
 * The importer refuses them in the names it stores; the CLI escapes them in everything it prints.
 */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/** The first control character of `text`: its index and code point, or undefined when there is none. */
export function firstControl(text: string): { index: number; code: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isControl(c)) return { index: i, code: c };
  }
  return undefined;
}

/** `\x1b`, `\u202e`: how a control character is shown. */
export function controlName(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character written out as an escape (`\x1b[31m` prints as those six characters).
 * Line feeds and tabs are kept when `keepLayout` (multi-line messages); a carriage return never is (it would
 * let text overwrite the start of its line), except as part of `\r\n`, which becomes `\n`.
 */
export function escapeControls(text: string, keepLayout = false): string {
  if (firstControl(text) === undefined) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isControl(c) || (keepLayout && (c === 10 || c === 9))) out += text[i];
    else if (keepLayout && c === 13 && text.charCodeAt(i + 1) === 10) continue;
    else out += controlName(c);
  }
  return out;
}

/**
 * JSON text with the control characters JSON.stringify leaves as they are (DEL, C1, bidirectional formatting:
 * it escapes only U+0000–U+001F) written as `\uXXXX` escapes: the same document, safe to print to a terminal.
 */
export function escapeControlsInJson(json: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c >= 0x7f && isControl(c)) {
      out += `${json.slice(from, i)}\\u${c.toString(16).padStart(4, '0')}`;
      from = i + 1;
    }
  }
  return from === 0 ? json : out + json.slice(from);
}
