/**
 * Option checking for every public entry point; nothing unchecked crosses into C++.
 * Every bad option fails with the same shape (see `invalid`):
 *   InvalidArgumentError "Expected <expected> for <field> but received <description>"
 * where the description never shows a secret (see `describe`).
 */

import { promises as fsp, constants as fsConstants } from 'fs';
import { Readable } from 'stream';
import { InvalidArgumentError, SourceError } from './errors';
import { isSensitiveKey, redact, SENSITIVE_KEYS } from './redact';

/** Longest string value shown in a message, in characters. */
const SHOWN_STRING_CHARS = 60;

/** Name of the last path segment of a field: `headers["X-Api-Key"]` -> `X-Api-Key`. */
function lastSegment(field: string): string {
  const m = /([A-Za-z0-9_-]+)["'\]]*$/.exec(field);
  return m ? m[1] : field;
}

/** Name parts that mark a credential, after lowercasing and dropping '-' and '_'. */
const CREDENTIAL_PARTS = ['token', 'secret', 'passw', 'apikey', 'auth', 'credential', 'cookie', 'signature', 'privatekey', 'accesskey', 'bearer'];

/**
 * True when `name` looks like the name of a credential: a secret-named key (see
 * `isSensitiveKey`), a name containing one of CREDENTIAL_PARTS, or a misspelling of a
 * secret-named key (`tokne`, `apiKy`: edit distance 2 or less, for names of 4+ letters).
 */
export function looksLikeCredentialName(name: string): boolean {
  if (isSensitiveKey(name)) return true;
  const n = name.toLowerCase().replace(/[-_]/g, '');
  if (CREDENTIAL_PARTS.some((p) => n.includes(p))) return true;
  if (n.length < 4) return false;
  return SENSITIVE_KEYS.some((k) => {
    const kk = k.replace(/[-_]/g, '');
    return kk.length >= 4 && editDistance(n, kk) <= 2;
  });
}

/**
 * Short, safe description of a received value: its type and a short value. For fields
 * named like credentials (token, apiKey, authorization, and misspellings such as tokne;
 * see `looksLikeCredentialName`) only the type and length. `opts.hideValue` hides the value
 * whatever the name (header values, unknown options).
 */
export function describe(value: unknown, field = '', opts: { hideValue?: boolean } = {}): string {
  const secret = opts.hideValue === true || (field !== '' && looksLikeCredentialName(lastSegment(field)));
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string': {
      if (secret) return `a string of length ${value.length}`;
      const shown = value.length > SHOWN_STRING_CHARS ? `${value.slice(0, SHOWN_STRING_CHARS)}...` : value;
      return `string ${redact(JSON.stringify(shown))}`;
    }
    case 'number':
    case 'boolean':
      return secret ? typeof value : `${typeof value} ${String(value)}`;
    case 'bigint':
      return secret ? 'bigint' : `bigint ${String(value)}n`;
    case 'symbol':
      return 'symbol';
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    default:
      break;
  }
  if (Buffer.isBuffer(value)) return `Buffer of ${value.length} bytes`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'empty object';
    const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ', ...' : '');
    return `object with keys ${redact(shown)}`;
  }
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `instance of ${ctor}` : 'object';
}

/**
 * The one message helper: returns (does not throw) the InvalidArgumentError for `field`.
 * `opts.hideValue`: describe the value by type and length only (a header value, a credential).
 */
export function invalid(field: string, expected: string, received: unknown, opts: { hideValue?: boolean } = {}): InvalidArgumentError {
  const description = describe(received, field, opts);
  return new InvalidArgumentError(`Expected ${expected} for ${field} but received ${description}`, {
    field,
    received: description,
  });
}

// ---- predicates -------------------------------------------------------------------------

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isPositiveInteger(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

export function isNonNegativeInteger(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** A byte count: an integer from 0 to Number.MAX_SAFE_INTEGER. */
export function isSafeSize(v: unknown): v is number {
  return isNonNegativeInteger(v);
}

/** An AbortSignal or anything with the same `aborted` / add/removeEventListener surface. */
export function isSignalLike(v: unknown): v is AbortSignal {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/** A Node Readable, or an object with its `on` / `pipe` / `read` surface. */
export function isReadableLike(v: unknown): v is Readable {
  if (v instanceof Readable) return true;
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return typeof s.on === 'function' && typeof s.pipe === 'function' && typeof s.read === 'function';
}

// ---- checkers (each returns the checked value or throws InvalidArgumentError) ------------

/** Applies `check` only when `v` is not undefined. */
export function ifDefined<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v);
}

export interface StringRules {
  nonEmpty?: boolean;
  /** In UTF-16 code units. */
  maxLength?: number;
  pattern?: RegExp;
  /** Replaces the generated "a string ..." text in the message. */
  expected?: string;
}

export function checkString(field: string, v: unknown, rules: StringRules = {}): string {
  const parts = [rules.nonEmpty ? 'a non-empty string' : 'a string'];
  if (rules.maxLength !== undefined) parts.push(`of at most ${rules.maxLength} characters`);
  if (rules.pattern) parts.push(`matching ${String(rules.pattern)}`);
  const expected = rules.expected ?? parts.join(' ');
  if (typeof v !== 'string') throw invalid(field, expected, v);
  if (rules.nonEmpty && v.length === 0) throw invalid(field, expected, v);
  if (rules.maxLength !== undefined && v.length > rules.maxLength) throw invalid(field, expected, v);
  if (rules.pattern) {
    rules.pattern.lastIndex = 0;
    if (!rules.pattern.test(v)) throw invalid(field, expected, v);
  }
  return v;
}

export function checkInteger(field: string, v: unknown, range: { min?: number; max?: number } = {}): number {
  const { min, max } = range;
  let expected = 'an integer';
  if (min !== undefined && max !== undefined) expected = `an integer between ${min} and ${max}`;
  else if (min !== undefined) expected = `an integer >= ${min}`;
  else if (max !== undefined) expected = `an integer <= ${max}`;
  if (!Number.isSafeInteger(v)) throw invalid(field, expected, v);
  const n = v as number;
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) throw invalid(field, expected, v);
  return n;
}

export function checkBoolean(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(field, 'a boolean', v);
  return v;
}

export function checkPlainObject(field: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw invalid(field, 'a plain object', v);
  return v;
}

/** Any C0 control character or DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * An absolute http: or https: URL with a host. Returned unchanged (never re-serialised:
 * re-encoding a presigned URL would break its signature).
 */
export function checkUrl(field: string, v: unknown): string {
  const expected = 'an absolute http: or https: URL (other schemes are not allowed)';
  if (typeof v !== 'string') throw invalid(field, expected, v);
  if (CONTROL_RE.test(v) || /\s/.test(v)) throw invalid(field, 'a URL without spaces or control characters', v);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(field, expected, v);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') throw invalid(field, expected, v);
  return v;
}

/** RFC 7230 `token`, the grammar of header names. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values: any control character except horizontal tab is refused (CR/LF injection). */
// eslint-disable-next-line no-control-regex
const BAD_HEADER_VALUE_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** An object of header name -> string value; returns a copy. Names must be unique ignoring case. */
export function checkHeaders(field: string, h: unknown): Record<string, string> {
  if (!isPlainObject(h)) throw invalid(field, 'an object of header names to string values', h);
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(h)) {
    const at = `${field}[${JSON.stringify(name)}]`;
    if (!TOKEN_RE.test(name)) {
      throw invalid(at, 'a header name made of RFC 7230 token characters (no spaces, colons, CR, LF or NUL)', name);
    }
    const prev = seen.get(name.toLowerCase());
    // Header string values are never shown (a custom auth header holds a credential under any name).
    if (prev !== undefined) throw invalid(at, `a header name not already given as ${JSON.stringify(prev)}`, value, { hideValue: true });
    seen.set(name.toLowerCase(), name);
    if (typeof value !== 'string') throw invalid(at, 'a string header value', value);
    if (BAD_HEADER_VALUE_RE.test(value)) throw invalid(at, 'a header value without CR, LF, NUL or other control characters', value, { hideValue: true });
    out[name] = value;
  }
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in 8-4-4-4-12 hex form (any version, either case). */
export function checkUuid(field: string, v: unknown): string {
  return checkString(field, v, { pattern: UUID_RE, expected: 'a UUID such as 123e4567-e89b-12d3-a456-426614174000' });
}

export function checkEnum<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalid(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v);
  }
  return v as T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function checkFunction<F extends (...args: any[]) => unknown>(field: string, v: unknown): F {
  if (typeof v !== 'function') throw invalid(field, 'a function', v);
  return v as F;
}

/** A real AbortSignal whose `aborted` and `reason` are AbortSignal's own getters (they cannot throw). */
function isPlainAbortSignal(v: unknown): v is AbortSignal {
  return typeof AbortSignal === 'function' && v instanceof AbortSignal && Object.getPrototypeOf(v) === AbortSignal.prototype &&
    Object.getOwnPropertyDescriptor(v, 'aborted') === undefined && Object.getOwnPropertyDescriptor(v, 'reason') === undefined;
}

function signalFailure(field: string, what: string, cause: unknown): InvalidArgumentError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new InvalidArgumentError(`Expected an AbortSignal for ${field} but ${what} threw (${msg}); pass an AbortController's signal`, {
    field, received: `a signal whose ${what} throws`, cause,
  });
}

/**
 * An AbortSignal. A plain AbortSignal is returned as is; any other signal-like object is
 * read once here and followed by a new AbortSignal (aborted with its reason), so a getter
 * of the caller's object that throws later cannot break an upload.
 */
export function checkSignal(field: string, v: unknown): AbortSignal {
  if (isPlainAbortSignal(v)) return v;
  let like: boolean;
  let aborted = false;
  try {
    like = isSignalLike(v); // reads `aborted` once
    if (like) aborted = (v as AbortSignal).aborted;
  } catch (e) {
    throw signalFailure(field, 'reading its aborted property', e);
  }
  if (!like) throw invalid(field, 'an AbortSignal', v);
  const user = v as AbortSignal;
  const reasonOf = (): unknown => {
    try {
      return user.reason;
    } catch (e) {
      return e;
    }
  };
  const follower = new AbortController();
  if (aborted) {
    follower.abort(reasonOf());
    return follower.signal;
  }
  try {
    user.addEventListener('abort', () => follower.abort(reasonOf()), { once: true });
  } catch (e) {
    throw signalFailure(field, 'its addEventListener', e);
  }
  return follower.signal;
}

const MEDIA_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const CONTENT_TYPE_RE = new RegExp(
  `^${MEDIA_TOKEN}/${MEDIA_TOKEN}(?:[ \\t]*;[ \\t]*${MEDIA_TOKEN}=(?:${MEDIA_TOKEN}|"(?:[^"\\\\\\u0000-\\u001f]|\\\\.)*"))*$`,
);

/** A media type such as `audio/mpeg` or `text/plain; charset=utf-8`. */
export function checkContentType(field: string, v: unknown): string {
  return checkString(field, v, { pattern: CONTENT_TYPE_RE, expected: 'a content type such as "audio/mpeg"' });
}

/**
 * Reject keys not in `known` (typos are the most common bug): the message names the key,
 * suggests the closest known key and lists all known keys.
 */
export function checkKnownKeys(field: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    const hint = guess ? ` (did you mean ${JSON.stringify(guess)}?)` : '';
    throw new InvalidArgumentError(
      `Unknown option ${JSON.stringify(key)} in ${field}${hint}; known options are: ${known.join(', ')}`,
      // describe() hides the value of a key named like a credential, misspellings (tokne) included
      { field: `${field}.${key}`, received: describe(obj[key], key) },
    );
  }
}

/** The known key within edit distance 2 (or equal ignoring case and '_' / '-'), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDist = 3;
  for (const k of known) {
    const d = norm(k) === norm(key) ? 0 : editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

// ---- sources --------------------------------------------------------------------------

export type NormalizedSource =
  | { kind: 'path'; path: string }
  | { kind: 'buffer'; buffer: Uint8Array }
  /** `size` in bytes; required by callers that must know the length up front. */
  | { kind: 'stream'; stream: Readable; size?: number; name?: string; contentType?: string }
  /** A URL read natively by ranged GETs; `size` found by a ranged GET when absent. */
  | { kind: 'url'; url: string; headers: Record<string, string>; size?: number; name?: string; contentType?: string };

const STREAM_KEYS = ['stream', 'size', 'name', 'contentType'] as const;
const URL_KEYS = ['url', 'headers', 'size', 'name', 'contentType'] as const;
const SOURCE_EXPECTED = 'a file path, a Buffer or Uint8Array, a Readable, or { stream, size?, name?, contentType? }';
/** Headers uplift sets on a URL source's GETs itself. */
const URL_SOURCE_OWN_HEADERS = ['range', 'if-range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'accept-encoding'];

/**
 * A URL source: `{ url, headers?, size?, name?, contentType? }`. The URL must be http(s);
 * header values are secrets (registered for redaction by resolveSource); `size` a byte count.
 */
function checkUrlSource(field: string, v: Record<string, unknown>): NormalizedSource {
  checkKnownKeys(field, v, URL_KEYS);
  const url = checkUrl(`${field}.url`, v.url);
  const headers = v.headers === undefined ? {} : checkHeaders(`${field}.headers`, v.headers);
  for (const name of Object.keys(headers)) {
    if (URL_SOURCE_OWN_HEADERS.includes(name.toLowerCase())) {
      throw new InvalidArgumentError(
        `${field}.headers["${name}"] cannot be set: uplift sends ${name} itself on the ranged GETs of a URL source; remove it`,
        { field: `${field}.headers["${name}"]`, received: name },
      );
    }
  }
  const out: NormalizedSource = { kind: 'url', url, headers };
  addSourceMeta(field, v, out);
  return out;
}

/** Copies the optional `size`, `name` and `contentType` of a stream or URL source onto `out`, checked. */
function addSourceMeta(field: string, v: Record<string, unknown>, out: { size?: number; name?: string; contentType?: string }): void {
  if (v.size !== undefined) {
    if (!isSafeSize(v.size)) throw invalid(`${field}.size`, 'a byte count (an integer from 0 to 2^53 - 1)', v.size);
    out.size = v.size;
  }
  if (v.name !== undefined) out.name = checkString(`${field}.name`, v.name, { nonEmpty: true });
  if (v.contentType !== undefined) out.contentType = checkContentType(`${field}.contentType`, v.contentType);
}

/** A list of presigned parts `{ partNumber, url }` (already known to be an array), each number once. */
export function checkPartUrls(parts: readonly unknown[]): { partNumber: number; url: string }[] {
  const seen = new Set<number>();
  return parts.map((p, i) => {
    if (!isPlainObject(p)) throw invalid(`parts[${i}]`, 'an object { partNumber, url }', p);
    const partNumber = checkInteger(`parts[${i}].partNumber`, p.partNumber, { min: 1, max: 10000 });
    if (seen.has(partNumber)) {
      throw new InvalidArgumentError(`parts[${i}].partNumber ${partNumber} appears twice; each part needs its own URL`, { field: `parts[${i}].partNumber`, received: String(partNumber) });
    }
    seen.add(partNumber);
    return { partNumber, url: checkUrl(`parts[${i}].url`, p.url) };
  });
}

function checkReadable(field: string, v: unknown): Readable {
  if (!isReadableLike(v)) throw invalid(field, 'a Readable stream', v);
  const s = v as Readable & { readableEnded?: boolean; destroyed?: boolean };
  if (s.readableEnded === true || s.destroyed === true) throw invalid(field, 'a Readable that has not ended or been destroyed', v);
  return v;
}

/** Normalises the contract's source forms (path, Buffer/Uint8Array, Readable, { stream, ... }). */
export function checkSource(field: string, v: unknown): NormalizedSource {
  if (typeof v === 'string') {
    if (v.length === 0 || v.includes('\u0000')) throw invalid(field, 'a non-empty file path without NUL characters', v);
    return { kind: 'path', path: v };
  }
  if (v instanceof Uint8Array) return { kind: 'buffer', buffer: v };
  if (isReadableLike(v)) return { kind: 'stream', stream: checkReadable(field, v) };
  if (isPlainObject(v) && 'url' in v && !('stream' in v)) return checkUrlSource(field, v);
  if (isPlainObject(v) && 'stream' in v) {
    checkKnownKeys(field, v, STREAM_KEYS);
    const out: NormalizedSource = { kind: 'stream', stream: checkReadable(`${field}.stream`, v.stream) };
    addSourceMeta(field, v, out);
    return out;
  }
  const e = invalid(field, SOURCE_EXPECTED, v);
  throw new InvalidArgumentError(`${e.message} (a URL source is { url, headers?, size? })`, { field: e.field, received: e.received });
}

// ---- common options ---------------------------------------------------------------------

/** Progress report; bytes are counted once per byte acknowledged by the transport. */
export interface Progress {
  bytesSent: number;
  totalBytes: number;
  partsDone: number;
  partsTotal: number;
}

export interface CommonOptions<E = unknown> {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Parts or files in flight, 1..64 (vendor default when absent). */
  concurrency?: number;
  engine?: E;
}

/** Keys `checkCommon` understands; add them to a call's known keys. */
export const COMMON_KEYS: readonly string[] = ['onProgress', 'signal', 'concurrency', 'engine'];

export const MAX_CONCURRENCY = 64;

/**
 * Checks the common options inside `opts` (other keys are left to the caller, who lists
 * them with COMMON_KEYS in `checkKnownKeys`). `opts` may be undefined. `isEngine` decides
 * what an engine is (default: any object). Returns only the keys that were given.
 */
export function checkCommon<E = unknown>(
  opts: unknown,
  how: { field?: string; isEngine?: (v: unknown) => v is E } = {},
): CommonOptions<E> {
  const field = how.field ?? 'options';
  if (opts === undefined) return {};
  if (!isPlainObject(opts)) throw invalid(field, 'an options object', opts);
  const out: CommonOptions<E> = {};
  if (opts.onProgress !== undefined) out.onProgress = checkFunction(`${field}.onProgress`, opts.onProgress);
  if (opts.signal !== undefined) out.signal = checkSignal(`${field}.signal`, opts.signal);
  if (opts.concurrency !== undefined) {
    out.concurrency = checkInteger(`${field}.concurrency`, opts.concurrency, { min: 1, max: MAX_CONCURRENCY });
  }
  if (opts.engine !== undefined) {
    const ok = how.isEngine ? how.isEngine(opts.engine) : opts.engine !== null && typeof opts.engine === 'object';
    if (!ok) throw invalid(`${field}.engine`, 'an Engine', opts.engine);
    out.engine = opts.engine as E;
  }
  return out;
}

// ---- files ------------------------------------------------------------------------------

/** The fs calls `statSource` makes (injectable for tests). */
export interface StatFs {
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }>;
  access(path: string, mode: number): Promise<void>;
}

function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function fsFailure(path: string, e: unknown): SourceError {
  const code = errnoCode(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new SourceError('ERR_UPLIFT_FILE_NOT_FOUND', `Source file not found: ${path}`, { path, cause: e });
  }
  return new SourceError('ERR_UPLIFT_FILE_NOT_READABLE', `Source file is not readable (${code ?? 'unknown error'}): ${path}`, { path, cause: e });
}

/**
 * Size (bytes) and modification time (ms since the epoch) of the regular file at `path`,
 * which must exist and be readable; rejects with SourceError otherwise.
 */
export async function statSource(path: string, fs: StatFs = fsp): Promise<{ size: number; mtimeMs: number }> {
  let st: Awaited<ReturnType<StatFs['stat']>>;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw fsFailure(path, e);
  }
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a directory'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isSocket()
          ? 'a socket'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : 'a special file';
    throw new SourceError('ERR_UPLIFT_NOT_A_FILE', `Source path is ${what}, not a regular file: ${path}`, { path });
  }
  try {
    await fs.access(path, fsConstants.R_OK);
  } catch (e) {
    throw fsFailure(path, e);
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
}
