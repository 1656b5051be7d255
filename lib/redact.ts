/**
 * Secret redaction for every message, log line and error that leaves the library.
 *
 * What is redacted (case-insensitive), each replaced by `[REDACTED]`:
 * - URL query parameters anywhere in text (also percent-encoded inside another URL):
 *   X-Amz-Signature, X-Amz-Credential (the whole value, access key id included),
 *   X-Amz-Security-Token, X-Goog-Signature, X-Goog-Credential, Signature, AWSAccessKeyId,
 *   sig, token, access_token, refresh_token, id_token, api_key, apikey, api-key,
 *   client_secret, password, secret, policy.
 * - `key=` only when its value looks like a secret (see `looksLikeSecret`): `key` is also the
 *   S3 object key of form uploads, which users need to see in messages.
 * - `s=` inside a URL's query string (after `?` or `&`, raw or percent-encoded): the
 *   signature of Kore media URLs (`.../getMediaStream/...?e=..&n=..&s=..`), which fetch the
 *   file without credentials.
 * - The password of `scheme://user:password@host` URLs.
 * - Header lines: Authorization, Proxy-Authorization, X-Api-Key, Api-Key, X-Auth-Token,
 *   X-Amz-Security-Token, Cookie, Set-Cookie (value to the end of the line; an auth
 *   scheme such as `Bearer` is kept).
 * - `Bearer <token>` anywhere (prose such as "invalid bearer token" is left alone).
 * - JSON string fields and `name: 'value'` object fields named in `SENSITIVE_KEYS`.
 * - Every registered secret (`registerSecret`) and every `extraSecrets` entry longer than
 *   3 characters, also in its percent-encoded form.
 */

export const REDACTED = '[REDACTED]';

/** Secrets this short are not registered: replacing them would shred ordinary text. */
const MIN_SECRET_LENGTH = 4;

/** Field / header / parameter names whose values are always secret (lowercase). */
export const SENSITIVE_KEYS: readonly string[] = [
  'token',
  'access_token',
  'accesstoken',
  'refresh_token',
  'id_token',
  'apikey',
  'api_key',
  'api-key',
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'x-auth-token',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'client_secret',
  'clientsecret',
  'policy',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'awsaccesskeyid',
  'sig',
];

const SENSITIVE_SET = new Set(SENSITIVE_KEYS);

/** True when a field, header or option named `name` holds a secret (case-insensitive). */
export function isSensitiveKey(name: string): boolean {
  return SENSITIVE_SET.has(name.toLowerCase());
}

/** Registered secret -> number of registrations (clients sharing a token each register it). */
const registered = new Map<string, number>();

/**
 * Registers a secret that `redact` removes from all text by default (clients call this
 * with their token / api key at construction). Strings of 3 characters or fewer are
 * ignored. Registrations are counted: each call needs one `unregisterSecret`.
 */
export function registerSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) return;
  registered.set(secret, (registered.get(secret) ?? 0) + 1);
}

/** Undoes one `registerSecret(secret)`. */
export function unregisterSecret(secret: string): void {
  const n = registered.get(secret);
  if (n === undefined) return;
  if (n <= 1) registered.delete(secret);
  else registered.set(secret, n - 1);
}

/** Number of distinct registered secrets (for tests and leak checks). */
export function registeredSecretCount(): number {
  return registered.size;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const QUERY_NAMES = [
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'signature',
  'awsaccesskeyid',
  'sig',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'api-key',
  'client_secret',
  'password',
  'secret',
  'policy',
];

// Group 1: separator + name + '=' (raw or percent-encoded); group 2: the value.
// Values end at '&', '#', whitespace, quotes, brackets or a percent-encoded '&'.
const QUERY_RE = new RegExp(
  `((?:^|[?&;\\s]|%26|%3F)(?:${QUERY_NAMES.map(escapeRegExp).join('|')})(?:=|%3D))(?!\\[REDACTED\\])((?:(?!%26)[^&#\\s"'<>\`,)\\]}])+)`,
  'gi',
);

const KEY_PARAM_RE = /((?:[?&;]|%26|%3F)key(?:=|%3D))((?:(?!%26)[^&#\s"'<>`,)\]}])+)/gi;

// Kore's media URL signature: `s=` only right after '?' or '&' (a bare "s=" in prose is kept).
const SHORT_SIG_RE = /((?:[?&]|%26|%3F)s(?:=|%3D))(?!\[REDACTED\])((?:(?!%26)[^&#\s"'<>`,)\]}])+)/gi;

const USERINFO_RE = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]+)@/gi;

const HEADER_NAMES = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-amz-security-token',
  'cookie',
  'set-cookie',
];

// Group 1: header name + ':'; group 2: optional auth scheme; group 3: the value.
const HEADER_RE = new RegExp(
  `((?:^|[\\s;,{(\\[])(?:${HEADER_NAMES.map(escapeRegExp).join('|')})[ \\t]*:[ \\t]*)((?:bearer|basic|token|aws4-hmac-sha256)[ \\t]+)?([^\\s"'\\r\\n][^\\r\\n"']*)`,
  'gi',
);

const BEARER_RE = /(\bbearer[ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;

/** Words that follow "bearer" in prose ("invalid bearer token") and are not credentials. */
const BEARER_PROSE = new Set(['token', 'tokens', 'auth', 'authentication', 'authorization', 'credential', 'credentials', 'header', 'scheme', 'is', 'was', 'missing', 'required', 'invalid', 'expired']);

const JSON_FIELD_RE = new RegExp(
  `("(?:${SENSITIVE_KEYS.map(escapeRegExp).join('|')})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`,
  'gi',
);

// `token: 'abc'` as printed by util.inspect.
const INSPECT_FIELD_RE = new RegExp(
  `((?:^|[\\s{,])'?(?:${SENSITIVE_KEYS.map(escapeRegExp).join('|')})'?\\s*:\\s*)'(?:[^'\\\\]|\\\\.)*'`,
  'gi',
);

/**
 * Decision for `key=` query values: redacted when at least 20 characters of
 * [A-Za-z0-9_-+=~] (no '.', '/', or '%': object keys have those) with a letter and a digit,
 * the shape of API keys such as `AIza...`.
 */
export function looksLikeSecret(value: string): boolean {
  return value.length >= 20 && /^[A-Za-z0-9_\-+=~]+$/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value);
}

function secretsByLength(extra: readonly string[] | undefined): string[] {
  const all = new Set<string>();
  for (const s of registered.keys()) all.add(s);
  if (extra) {
    for (const s of extra) {
      if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) all.add(s);
    }
  }
  const withEncoded = new Set<string>();
  for (const s of all) {
    withEncoded.add(s);
    const enc = encodeURIComponent(s);
    if (enc !== s) withEncoded.add(enc);
  }
  // Longest first, so a secret that contains another is removed whole.
  return [...withEncoded].sort((a, b) => b.length - a.length);
}

/** Returns `text` with every secret form listed in this file's header replaced by `[REDACTED]`. */
export function redact(text: string, extraSecrets?: readonly string[]): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let out = text.replace(QUERY_RE, `$1${REDACTED}`);
  out = out.replace(KEY_PARAM_RE, (m, head: string, value: string) =>
    looksLikeSecret(value) ? head + REDACTED : m,
  );
  out = out.replace(SHORT_SIG_RE, `$1${REDACTED}`);
  out = out.replace(USERINFO_RE, `$1${REDACTED}@`);
  out = out.replace(HEADER_RE, (_m, head: string, scheme: string | undefined) => head + (scheme ?? '') + REDACTED);
  out = out.replace(BEARER_RE, (m, head: string, value: string) =>
    BEARER_PROSE.has(value.toLowerCase()) ? m : head + REDACTED,
  );
  out = out.replace(JSON_FIELD_RE, `$1"${REDACTED}"`);
  out = out.replace(INSPECT_FIELD_RE, `$1'${REDACTED}'`);
  // Registered secrets last, so the rules above never see a half-replaced value.
  for (const s of secretsByLength(extraSecrets)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Redacts one URL (query secrets, userinfo password, registered secrets); the rest is kept verbatim. */
export function redactUrl(url: string): string {
  return redact(url);
}

/**
 * Deep copy of `value` safe to log or serialise: strings go through `redact`, fields named
 * in `SENSITIVE_KEYS` become `[REDACTED]`, depth is capped at `maxDepth` (default 6) and
 * cycles become '[Circular]'. Buffers are summarised, never copied.
 */
export function redactValue(value: unknown, extraSecrets?: readonly string[], maxDepth = 6): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redact(v, extraSecrets);
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? '[Function]' : v;
    if (seen.has(v)) return '[Circular]';
    if (depth >= maxDepth) return '[Object]';
    if (ArrayBuffer.isView(v)) return `[${v.constructor.name} ${v.byteLength} bytes]`;
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v instanceof Error) return { name: v.name, message: redact(v.message, extraSecrets) };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = isSensitiveKey(k) && x !== undefined && x !== null ? REDACTED : walk(x, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}
