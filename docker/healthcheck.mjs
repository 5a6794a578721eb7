// The Docker HEALTHCHECK: GET /health of the server in this container; exit 0 when it answers 200, else 1 with the
// reason on stdout (`docker inspect --format '{{json .State.Health}}'` shows it). Needs no curl in the image.
import fs from 'node:fs';

const host = process.env.TRADELOG_HOST || '127.0.0.1';
const port = process.env.TRADELOG_PORT || '5000';
// A wildcard bind is reached through loopback; a specific address is reached where it listens.
const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
const url = `http://${target.includes(':') ? `[${target}]` : target}:${port}/health`;

function token() {
  if (process.env.TRADELOG_AUTH_TOKEN) return process.env.TRADELOG_AUTH_TOKEN;
  const file = process.env.TRADELOG_AUTH_TOKEN_FILE;
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const secret = token();
try {
  const res = await fetch(url, {
    headers: secret ? { authorization: `Bearer ${secret}` } : {},
    signal: AbortSignal.timeout(4000),
  });
  const body = await res.text();
  if (res.status === 200) {
    console.log(`healthy: ${url} answered 200`);
    process.exit(0);
  }
  let reason = body.slice(0, 500);
  try {
    const report = JSON.parse(body);
    const first = report.findings?.[0] ?? report.error;
    if (first) reason = `${report.status ?? ''} ${first.code}: ${first.message} Fix: ${first.remedy}`.trim();
  } catch {
    // not JSON: keep the start of the body
  }
  console.log(`unhealthy: ${url} answered ${res.status}: ${reason}`);
  process.exit(1);
} catch (err) {
  console.log(`unhealthy: ${url} did not answer: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
