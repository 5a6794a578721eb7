import crypto from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/**
 * The web app's safety rules, in one place:
 * - it binds to loopback unless told otherwise; bound to any other address it refuses to start without a token
 *   (config.authToken: TRADELOG_AUTH_TOKEN or TRADELOG_AUTH_TOKEN_FILE);
 * - with a token, every page needs the session cookie that /login sets (HttpOnly, SameSite=Strict) and every API
 *   call the cookie or `Authorization: Bearer <token>`;
 * - every state-changing request from a browser carries the CSRF token (double submit: an HttpOnly cookie and a
 *   form field or X-CSRF-Token header that must match), and a cross-site Origin is refused outright; a request
 *   with neither Origin nor cookies comes from a script, not a browser, and needs no token;
 * - security headers on every answer: a CSP that allows only this origin, nosniff, no framing, no referrer beyond this origin.
 */
export const SESSION_COOKIE = 'tl_session';
export const CSRF_COOKIE = 'tl_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on same-site form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/** Refuses to serve beyond loopback without a token (the old app served destructive endpoints to the network). */
export function assertSafeBinding(host: string, authToken: string | undefined): void {
  if (isLoopbackHost(host) || authToken) return;
  throw new AppError(
    'TL_WEB_TOKEN_REQUIRED',
    `Refusing to listen on ${host} without an access token: anyone who can reach this address could read and change the journal.`,
    {
      remedy:
        'Set TRADELOG_AUTH_TOKEN to a secret of at least 12 characters (or TRADELOG_AUTH_TOKEN_FILE to a file holding it), or bind to 127.0.0.1 with --host 127.0.0.1 / TRADELOG_HOST.',
      details: { host },
    },
  );
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

/** The session cookie's value: derived from the token, so changing the token signs everybody out. */
export function sessionValue(token: string): string {
  return crypto.createHmac('sha256', token).update('tradelog-session-v1').digest('base64url');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

function cookie(name: string, value: string, req: FastifyRequest, maxAgeSeconds?: number): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  if (req.protocol === 'https') parts.push('Secure');
  return parts.join('; ');
}

function appendCookie(reply: FastifyReply, value: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, value]);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The CSRF token for forms rendered in this answer. */
    csrfToken: string;
    /** True when the request presented the token as `Authorization: Bearer` (a script, not a browser form). */
    bearerAuth: boolean;
  }
}

export interface SecurityOptions {
  authToken: string | undefined;
}

const PUBLIC_PREFIXES = ['/static/', '/vendor/'];
const PUBLIC_PATHS = new Set(['/login', '/health', '/favicon.ico']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isApiPath(url: string): boolean {
  return url.startsWith('/api/');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Installs headers, authentication and CSRF checks on `app`. Run before routes are registered. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const token = options.authToken;
  const expectedSession = token ? sessionValue(token) : undefined;
  app.decorateRequest('csrfToken', '');
  app.decorateRequest('bearerAuth', false);

  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    const cookies = parseCookies(req.headers.cookie);
    const path = pathOf(req.url);

    const auth = req.headers.authorization;
    if (token && auth?.startsWith('Bearer ') && safeEqual(auth.slice(7).trim(), token)) req.bearerAuth = true;

    // Authentication (only when a token is configured).
    if (token && !req.bearerAuth && !PUBLIC_PATHS.has(path) && !PUBLIC_PREFIXES.some((p) => path.startsWith(p))) {
      const session = cookies[SESSION_COOKIE];
      if (!session || !expectedSession || !safeEqual(session, expectedSession)) {
        if (isApiPath(path) || path === '/metrics' || req.method !== 'GET') {
          throw new AppError('TL_WEB_UNAUTHORIZED', 'This request needs the access token.', {
            remedy: 'Sign in at /login with the token set in TRADELOG_AUTH_TOKEN, or send it as "Authorization: Bearer <token>".',
          });
        }
        return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
      }
    }

    // CSRF: a token per browser, kept in an HttpOnly cookie and repeated in every form or fetch.
    let csrf = cookies[CSRF_COOKIE];
    const needsCookie = !isApiPath(path) && !PUBLIC_PREFIXES.some((p) => path.startsWith(p)) && path !== '/health' && path !== '/metrics';
    if (needsCookie && (!csrf || !/^[A-Za-z0-9_-]{32,64}$/.test(csrf))) {
      csrf = crypto.randomBytes(24).toString('base64url');
      appendCookie(reply, cookie(CSRF_COOKIE, csrf, req));
    }
    req.csrfToken = csrf ?? '';

    if (UNSAFE_METHODS.has(req.method) && !req.bearerAuth) {
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!sameHost(origin, req.headers.host)) {
          throw new AppError('TL_WEB_CSRF', `Refused a ${req.method} from another site (Origin ${origin}).`, {
            remedy: 'Submit the form from tradelog itself; reload the page if you opened it from a bookmark or another tab.',
          });
        }
      }
    }
  });

  // The token is checked once the body is parsed and before schemas strip unknown fields (forms carry it as a
  // field, fetch calls as a header). Multipart bodies are parsed by their plugin after this hook, so they are
  // checked just before the handler instead.
  const check = async (req: FastifyRequest) => {
    if (!UNSAFE_METHODS.has(req.method) || req.bearerAuth) return;
    // Neither an Origin header nor a cookie: not a browser (browsers send Origin with every cross-site POST, and
    // the CSRF cookie with same-site ones). A script has no ambient credentials a third-party page could borrow;
    // with a token configured it still has to authenticate.
    if (req.headers.origin === undefined && !req.headers.cookie) return;
    const body = req.body as Record<string, unknown> | undefined;
    let field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
    // multipart (attachFieldsToBody): fields arrive as { value }
    if (field && typeof field === 'object' && 'value' in field) field = (field as { value: unknown }).value;
    verifyCsrf(req, field);
  };
  const isMultipart = (req: FastifyRequest) => (req.headers['content-type'] ?? '').startsWith('multipart/');
  app.addHook('preValidation', async (req) => {
    if (!isMultipart(req)) await check(req);
  });
  app.addHook('preHandler', async (req) => {
    if (isMultipart(req)) await check(req);
  });
}

function sameHost(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  try {
    const o = new URL(origin);
    const h = new URL(`${o.protocol}//${hostHeader}`);
    return o.host === h.host;
  } catch {
    return false;
  }
}

function csrfError(why: string): AppError {
  return new AppError('TL_WEB_CSRF', `The form's security token did not match (${why}).`, {
    remedy: 'Reload the page and submit the form again. If cookies are blocked for this site, allow them.',
  });
}

/**
 * Checks the CSRF token of a state-changing request: the header (fetch) or the form field must equal the cookie.
 * Requests authenticated with a bearer token are scripts, not browsers, and carry no cookie to forge.
 */
export function verifyCsrf(req: FastifyRequest, fieldValue?: unknown): void {
  if (req.bearerAuth) return;
  const cookieToken = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  const header = req.headers[CSRF_HEADER];
  const presented = typeof header === 'string' ? header : typeof fieldValue === 'string' ? fieldValue : undefined;
  if (!cookieToken) throw csrfError('the browser sent no CSRF cookie');
  if (!presented) throw csrfError('the request carried no token');
  if (!safeEqual(cookieToken, presented)) throw csrfError('the token is stale');
}

/** /login and /logout. */
export function registerLogin(
  app: FastifyInstance,
  options: SecurityOptions,
  render: (reply: FastifyReply, req: FastifyRequest, view: string, data: Record<string, unknown>, status?: number) => FastifyReply,
): void {
  const token = options.authToken;
  const safeNext = (next: unknown): string => (typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/');

  app.get(
    '/login',
    { schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2000 } } } } },
    (req, reply) => {
      const next = safeNext((req.query as { next?: string }).next);
      if (!token) return reply.redirect(next, 303);
      return render(reply, req, 'login', { title: 'Sign in', next, failed: false, hideNav: true });
    },
  );

  app.post(
    '/login',
    {
      schema: {
        body: {
          type: 'object',
          required: ['token'],
          properties: {
            token: { type: 'string', maxLength: 1000 },
            next: { type: 'string', maxLength: 2000 },
            [CSRF_FIELD]: { type: 'string' },
          },
        },
      },
    },
    (req, reply) => {
      const body = req.body as { token: string; next?: string };
      const next = safeNext(body.next);
      if (!token) return reply.redirect(next, 303);
      if (!safeEqual(body.token.trim(), token)) {
        req.log.warn({ ip: req.ip }, 'sign-in with a wrong token');
        return render(reply, req, 'login', { title: 'Sign in', next, failed: true, hideNav: true }, 401);
      }
      appendCookie(reply, cookie(SESSION_COOKIE, sessionValue(token), req, 30 * 24 * 3600));
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', (req, reply) => {
    appendCookie(reply, cookie(SESSION_COOKIE, '', req, 0));
    return reply.redirect('/login', 303);
  });
}
