import crypto from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../errors.js';
import type { HostPolicy } from './hosts.js';
import { SESSION_TTL_MS, type SessionStore, type SignInThrottle } from './sessions.js';

/**
 * The web app's safety rules, in one place, in the order they run on a request:
 * - a Host that does not name this server (src/web/hosts.ts) is refused with 421 before anything else: routing
 *   aside, no hook, body read or page runs for it (DNS rebinding);
 * - a body where none is taken is refused before it is read: any body on GET/HEAD or on an unknown address;
 *   form posts without a body schema take at most FORM_BODY_LIMIT; multipart is parsed only on upload routes
 *   (src/web/uploads.ts), after all of this and after the CSRF check;
 * - an Origin, on any request, must be this server's (scheme included) or an allowed one;
 * - it binds to loopback unless told otherwise; bound to any other address it refuses to start without a token
 *   (config.authToken: TRADELOG_AUTH_TOKEN or TRADELOG_AUTH_TOKEN_FILE);
 * - with a token, every page needs a session cookie that /login sets (a random id per sign-in, held by
 *   SessionStore, revoked by /logout; HttpOnly, SameSite=Strict, Secure over HTTPS) and every API call the cookie
 *   or `Authorization: Bearer <token>`; wrong tokens at /login are throttled per client (SignInThrottle);
 * - every state-changing request from a browser carries the CSRF token (double submit: an HttpOnly cookie and a
 *   form field or X-CSRF-Token header that must match); a request with neither Origin nor cookies comes from a
 *   script, not a browser, and needs no token;
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
        'Set TRADELOG_AUTH_TOKEN to a random secret of at least 12 characters (or TRADELOG_AUTH_TOKEN_FILE to a file holding it), or bind to 127.0.0.1 with --host 127.0.0.1 / TRADELOG_HOST.',
      details: { host },
    },
  );
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
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
  // req.protocol is https when the connection is TLS, or when a proxy named in TRADELOG_TRUST_PROXY says so.
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
    /** True when the request is authenticated: a live session cookie or the bearer token (false when no token is set). */
    signedIn: boolean;
  }
  interface FastifyContextConfig {
    /** This route takes a multipart upload (src/web/uploads.ts); no other route parses one. */
    upload?: boolean;
  }
}

export interface SecurityOptions {
  authToken: string | undefined;
  hosts: HostPolicy;
  sessions: SessionStore;
  throttle: SignInThrottle;
}

const PUBLIC_PREFIXES = ['/static/', '/vendor/'];
const PUBLIC_PATHS = new Set(['/login', '/health', '/favicon.ico']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Body limit of a form post whose route declares no body (it carries only the CSRF field). */
export const FORM_BODY_LIMIT = 4 * 1024;
/** Body limit of /login: the token (≤ 1,000), next (≤ 2,000) and the CSRF field, URL-encoded. */
export const LOGIN_BODY_LIMIT = 16 * 1024;

export function isApiPath(url: string): boolean {
  return url.startsWith('/api/');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case), trimmed. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer[ \t]+(.*)$/i.exec(header ?? '');
  const token = m?.[1]?.trim();
  return token ? token : undefined;
}

/**
 * After an answer given before the request's body was read (a refusal), the rest of the body is read and dropped,
 * never kept: up to DROP_AFTER_ANSWER_BYTES, then the connection is cut. Cutting at once would make the kernel reset
 * the connection over the unread bytes, and a client still sending often loses the answer to that reset; dropping
 * lets it read the refusal first.
 */
const DROP_AFTER_ANSWER_BYTES = 64 * 1024 * 1024;

export function dropUnreadBody(req: FastifyRequest, reply: FastifyReply): void {
  const raw = req.raw;
  if (raw.complete !== false) return;
  // Node's server drops what is left of a body nobody read, and keeps the connection for the next request.
  reply.removeHeader('connection');
  reply.raw.once('finish', () => {
    let dropped = 0;
    raw.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DROP_AFTER_ANSWER_BYTES) raw.socket.destroy();
    });
  });
}

/** True when the request announces a body (a length above 0, or chunked). */
function announcesBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function hostRefused(host: string): AppError {
  return new AppError('TL_WEB_HOST_REFUSED', `This server does not answer to the name "${host.slice(0, 200)}".`, {
    remedy:
      'Open tradelog at http://127.0.0.1:<port> or http://localhost:<port>. To reach it under another name (a reverse proxy, a LAN address), add that name to TRADELOG_ALLOWED_HOSTS, e.g. TRADELOG_ALLOWED_HOSTS=journal.example.com.',
    details: { host: host.slice(0, 200) },
  });
}

function originRefused(req: FastifyRequest, origin: string): AppError {
  return new AppError('TL_WEB_CSRF', `Refused a ${req.method} from another site (Origin ${origin.slice(0, 200)}).`, {
    remedy:
      'Use tradelog from its own pages. Behind a TLS reverse proxy, set TRADELOG_TRUST_PROXY to the proxy so https is recognised, and TRADELOG_ALLOWED_HOSTS to the name the proxy serves.',
  });
}

/**
 * Gives every form post whose route declares no body (its form carries only the CSRF field, a script sends none) a
 * small limit, so a stranger cannot make such a route read megabytes. Upload routes are left to src/web/uploads.ts.
 */
function limitFormBodies(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (!methods.some((m) => UNSAFE_METHODS.has(m)) || route.config?.upload || route.schema?.body) return;
  route.bodyLimit ??= FORM_BODY_LIMIT;
}

/** Installs host and body checks, headers, authentication and CSRF checks on `app`. Run before routes are registered. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const { authToken: token, hosts, sessions } = options;
  app.decorateRequest('csrfToken', '');
  app.decorateRequest('bearerAuth', false);
  app.decorateRequest('signedIn', false);
  app.addHook('onRoute', limitFormBodies);

  // First of all: does this request name this server? (req.host: X-Forwarded-Host only from a trusted proxy.)
  // Only the security headers are set before, so that even the refusal carries them.
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (hosts.allowsHost(req.host)) return;
    throw hostRefused(req.host);
  });

  // No body where none is taken: refused before a byte of it is read.
  app.addHook('onRequest', async (req) => {
    if (!announcesBody(req)) return;
    if (req.method === 'GET' || req.method === 'HEAD') {
      throw new AppError('TL_WEB_BAD_REQUEST', `A ${req.method} request carries no body; this one announced one.`, {
        remedy: 'Send the request without a body (query parameters go in the address).',
      });
    }
    if (req.is404) {
      throw new AppError('TL_WEB_NOT_FOUND', `Nothing here: ${req.method} ${pathOf(req.url)}`, {
        remedy: 'Check the address, or start from the dashboard at /.',
      });
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.allowsOrigin(origin, { protocol: req.protocol, host: req.host })) {
      throw originRefused(req, origin);
    }
    const cookies = parseCookies(req.headers.cookie);
    const path = pathOf(req.url);

    const presented = bearerToken(req.headers.authorization);
    if (token && presented !== undefined && safeEqual(presented, token)) req.bearerAuth = true;
    req.signedIn = Boolean(token) && (req.bearerAuth || sessions.valid(cookies[SESSION_COOKIE]));

    // Authentication (only when a token is configured).
    if (token && !req.signedIn && !PUBLIC_PATHS.has(path) && !PUBLIC_PREFIXES.some((p) => path.startsWith(p))) {
      if (isApiPath(path) || path === '/metrics' || req.method !== 'GET') {
        throw new AppError('TL_WEB_UNAUTHORIZED', 'This request needs the access token.', {
          remedy: 'Sign in at /login with the token set in TRADELOG_AUTH_TOKEN, or send it as "Authorization: Bearer <token>".',
        });
      }
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    }

    // CSRF: a token per browser, kept in an HttpOnly cookie and repeated in every form or fetch.
    let csrf = cookies[CSRF_COOKIE];
    const needsCookie = !isApiPath(path) && !PUBLIC_PREFIXES.some((p) => path.startsWith(p)) && path !== '/health' && path !== '/metrics';
    if (needsCookie && (!csrf || !/^[A-Za-z0-9_-]{32,64}$/.test(csrf))) {
      csrf = crypto.randomBytes(24).toString('base64url');
      appendCookie(reply, cookie(CSRF_COOKIE, csrf, req));
    }
    req.csrfToken = csrf ?? '';
  });

  // The token is checked once the body is parsed and before schemas strip unknown fields (forms carry it as a
  // field, fetch calls as a header). Multipart bodies are checked by src/web/uploads.ts as their fields arrive,
  // before any file is read, and here once more just before the handler.
  const isMultipart = (req: FastifyRequest) => (req.headers['content-type'] ?? '').startsWith('multipart/');
  app.addHook('preValidation', async (req) => {
    if (!isMultipart(req)) checkCsrf(req);
  });
  app.addHook('preHandler', async (req) => {
    if (isMultipart(req)) checkCsrf(req);
  });
}

/**
 * The CSRF check of a state-changing request, with the fields parsed so far (`req.body` unless given; multipart
 * fields arrive as `{ value }`).
 */
export function checkCsrf(req: FastifyRequest, fields: unknown = req.body): void {
  if (!UNSAFE_METHODS.has(req.method) || req.bearerAuth) return;
  // Neither an Origin header nor a cookie: not a browser (browsers send Origin with every cross-site POST, and
  // the CSRF cookie with same-site ones). A script has no ambient credentials a third-party page could borrow;
  // with a token configured it still has to authenticate.
  if (req.headers.origin === undefined && !req.headers.cookie) return;
  const body = fields as Record<string, unknown> | undefined;
  let field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  if (Array.isArray(field)) field = field[0];
  if (field && typeof field === 'object' && 'value' in field) field = (field as { value: unknown }).value;
  verifyCsrf(req, field);
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

/**
 * Where to go after signing in: a path on this server in printable ASCII (no scheme, no `//host`, no backslash),
 * else the dashboard. Anything else (`//evil.example`, `/ü`) is dropped, never answered with an error.
 */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && !next.includes('\\') ? next : '/';
}

/** /login (throttled per client) and /logout (revokes the session). */
export function registerLogin(
  app: FastifyInstance,
  options: SecurityOptions,
  render: (reply: FastifyReply, req: FastifyRequest, view: string, data: Record<string, unknown>, status?: number) => FastifyReply,
): void {
  const { authToken: token, sessions, throttle } = options;

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
      bodyLimit: LOGIN_BODY_LIMIT,
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
      // Checked before the token, so a throttled client learns nothing about its guess.
      const wait = throttle.retryAfter(req.ip);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError('TL_WEB_THROTTLED', `Too many wrong tokens from this address; try again in ${wait} s.`, {
          remedy: `Wait ${wait} seconds, then sign in with the token set in TRADELOG_AUTH_TOKEN (copy it rather than typing it).`,
          details: { retryAfterSeconds: wait },
        });
      }
      if (!safeEqual(body.token.trim(), token)) {
        throttle.failed(req.ip);
        req.log.warn({ ip: req.ip }, 'sign-in with a wrong token');
        return render(reply, req, 'login', { title: 'Sign in', next, failed: true, hideNav: true }, 401);
      }
      // A new session id for every sign-in; one the browser already had ends here.
      sessions.revoke(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
      appendCookie(reply, cookie(SESSION_COOKIE, sessions.create(), req, Math.floor(SESSION_TTL_MS / 1000)));
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', (req, reply) => {
    sessions.revoke(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    appendCookie(reply, cookie(SESSION_COOKIE, '', req, 0));
    return reply.redirect('/login', 303);
  });
}
