import net from 'node:net';

/**
 * Which Host and Origin values name this server (defence against DNS rebinding: a page on attacker.example whose
 * name the attacker re-points at 127.0.0.1 talks to this server with `Host: attacker.example`).
 *
 * - Always: `localhost`, `127.0.0.1` and `[::1]`, and the address the server is bound to (unless it is a wildcard
 *   such as 0.0.0.0), on any port: Docker's port mapping (TRADELOG_HOST_PORT) and SSH tunnels put another port in
 *   the browser's address bar, and a rebinding page is told apart by its name, never by its port.
 * - TRADELOG_ALLOWED_HOSTS: `name` (any port) or `name:port` (that port only), e.g. the name a reverse proxy serves.
 *
 * An Origin (scheme, name and port) is accepted when it is the origin of the request itself (the scheme the request
 * came in with, the Host it names) or an allowed entry with the request's scheme; `null` and anything unparsable
 * are refused.
 */
export interface HostPolicyOptions {
  /** The address the server is bound to (config.host). */
  bindHost: string;
  /** Entries of TRADELOG_ALLOWED_HOSTS, lower case: `name` or `name:port` (IPv6 in brackets). */
  allowedHosts: readonly string[];
}

interface HostName {
  /** Lower case; IPv6 in brackets. */
  name: string;
  port: number | undefined;
}

const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/;

/** `name[:port]` as a Host header or an allowed entry carries it; undefined when it is not one. */
export function parseHostName(value: string): HostName | undefined {
  const m = HOST_HEADER.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const name = m[1] as string;
  if (name.startsWith('[') && !net.isIPv6(name.slice(1, -1))) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { name, port };
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

export class HostPolicy {
  /** Names accepted on any port. */
  private readonly anyPort = new Set<string>(['localhost', '127.0.0.1', '[::1]']);
  /** Explicit `name:port` entries. */
  private readonly withPort = new Set<string>();
  /** Allowed entries given by the operator (for Origins that differ from the request's own Host). */
  private readonly explicit: HostName[] = [];

  constructor(options: HostPolicyOptions) {
    const bind = options.bindHost.trim().toLowerCase();
    if (bind !== '' && bind !== '0.0.0.0' && bind !== '::' && bind !== '[::]') {
      this.anyPort.add(net.isIPv6(bind) ? `[${bind}]` : bind);
    }
    for (const entry of options.allowedHosts) {
      const h = parseHostName(entry);
      if (!h) continue;
      this.explicit.push(h);
      if (h.port === undefined) this.anyPort.add(h.name);
      else this.withPort.add(`${h.name}:${h.port}`);
    }
  }

  /** Whether a Host header (or X-Forwarded-Host from a trusted proxy) names this server. */
  allowsHost(host: string | undefined): boolean {
    if (!host) return false;
    const h = parseHostName(host);
    if (!h) return false;
    return this.anyPort.has(h.name) || (h.port !== undefined && this.withPort.has(`${h.name}:${h.port}`));
  }

  /**
   * Whether `origin` may act on this server: same origin as the request (`protocol` and `host` as the request
   * arrived, after a trusted proxy's X-Forwarded-*), or an allowed entry reached with the request's scheme.
   */
  allowsOrigin(origin: string, request: { protocol: string; host: string }): boolean {
    const o = parseOrigin(origin);
    if (!o || o.scheme !== request.protocol) return false;
    const port = o.port ?? DEFAULT_PORT[o.scheme];
    const own = parseHostName(request.host);
    if (own && own.name === o.name && (own.port ?? DEFAULT_PORT[request.protocol]) === port) return true;
    return this.explicit.some((e) => e.name === o.name && (e.port === undefined || e.port === port));
  }
}

interface ParsedOrigin extends HostName {
  scheme: string;
}

/** `scheme://name[:port]` with nothing after it, as browsers send Origin; undefined for `null` or anything else. */
function parseOrigin(origin: string): ParsedOrigin | undefined {
  const m = /^(https?):\/\/([^/?#@\s]+)$/i.exec(origin.trim());
  if (!m) return undefined;
  const h = parseHostName(m[2] as string);
  if (!h) return undefined;
  return { scheme: (m[1] as string).toLowerCase(), ...h };
}
