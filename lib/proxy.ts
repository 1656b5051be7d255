// Proxy settings: the `proxy` and `noProxy` options and the environment (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY in either case), decided here and handed to the engine explicitly.
// The engine never lets libcurl read the environment on its own.
import { InvalidArgumentError } from './errors';
import { registerSecret } from './redact';
import { checkString, invalid } from './validate';

/** What the engine receives: the proxy URL per request scheme ('' = direct) and the bypass list. */
export interface NativeProxy { http: string; https: string; noProxy: string }

const PROXY_PROTOCOLS = ['http:', 'https:', 'socks5:', 'socks5h:', 'socks4:', 'socks4a:'];
const EXPECTED = "a proxy URL such as 'http://proxy.example:8080' (http, https, socks5, socks5h, socks4 or socks4a; user:password@ allowed) or false";

/**
 * Checks a proxy URL; its password is registered for redaction so that it never shows in a
 * message or log line (the user name stays readable, as in `user:[REDACTED]@host`).
 */
export function checkProxyUrl(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || /[\s\u0000-\u001f\u007f]/.test(v)) throw invalid(field, EXPECTED, v);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(field, EXPECTED, v);
  }
  if (!PROXY_PROTOCOLS.includes(u.protocol) || u.hostname === '' || (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) {
    throw invalid(field, EXPECTED, v);
  }
  if (u.password) {
    registerSecret(u.password);
    try {
      registerSecret(decodeURIComponent(u.password));
    } catch {
      /* not percent-encoded */
    }
  }
  return v;
}

/** A proxy URL with its credentials replaced, for showing (options, logs). */
export function shownProxy(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = u.username ? '[REDACTED]' : '';
    u.password = u.password ? '[REDACTED]' : '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '[REDACTED]';
  }
}

/** A comma/space separated list or an array of hosts, domains, IPs or '*'; ports are dropped. */
export function checkNoProxy(field: string, v: unknown): string {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\s,]+/) : undefined;
  if (!items) throw invalid(field, "a list of host names such as 'localhost,.internal.example' or an array of them", v);
  const out: string[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(v) ? `${field}[${i}]` : field;
    const s = checkString(at, item, { expected: "host names, domain suffixes ('.example.com'), IP addresses or '*'" }).trim();
    if (s === '') return;
    if (/[\u0000-\u001f\u007f,/@?#]/.test(s)) throw invalid(at, "host names, domain suffixes ('.example.com'), IP addresses or '*'", s);
    // curl matches host names only: 'host:8080' -> 'host', '[::1]:8080' -> '::1'
    const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
    if (bracket) out.push(bracket[1]);
    else if (/^[^:]+:\d+$/.test(s)) out.push(s.replace(/:\d+$/, ''));
    else out.push(s);
  });
  return out.join(',');
}

function envValue(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  // Lower case first, as curl, undici and most Node tools do.
  for (const n of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[n];
    if (value !== undefined && value.trim() !== '') return { name: n, value: value.trim() };
  }
  return undefined;
}

function envProxy(env: NodeJS.ProcessEnv, name: string): string {
  const found = envValue(env, name);
  if (!found) return '';
  const value = /^[a-z][a-z0-9+.-]*:\/\//i.test(found.value) ? found.value : `http://${found.value}`;
  try {
    return checkProxyUrl(`process.env.${found.name}`, value);
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(`${e.message} (fix or unset the environment variable ${found.name}, or pass proxy: false)`, { field: e.field, received: e.received });
    }
    throw e;
  }
}

/**
 * The proxy settings of `proxy` / `noProxy` options: a URL for every request, `false` for
 * none, undefined for the environment (https_proxy / HTTPS_PROXY for https:// requests,
 * http_proxy / HTTP_PROXY for http:// ones, no_proxy / NO_PROXY as the bypass list).
 */
export function resolveProxy(field: string, proxy: unknown, noProxy: unknown, env: NodeJS.ProcessEnv = process.env): NativeProxy {
  const bypass = noProxy === undefined ? undefined : checkNoProxy(`${field}.noProxy`, noProxy);
  if (proxy === false) return { http: '', https: '', noProxy: '' };
  if (proxy !== undefined) {
    const url = checkProxyUrl(`${field}.proxy`, proxy);
    return { http: url, https: url, noProxy: bypass ?? '' };
  }
  const envBypass = envValue(env, 'NO_PROXY');
  return {
    http: envProxy(env, 'HTTP_PROXY'),
    https: envProxy(env, 'HTTPS_PROXY'),
    noProxy: bypass ?? (envBypass ? checkNoProxy(`process.env.${envBypass.name}`, envBypass.value) : ''),
  };
}
