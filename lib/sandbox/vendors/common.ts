/**
 * Helpers shared by the vendor emulators: the error they throw (rendered by the front in
 * the vendor's own shape), JSON answers, bounded JSON body reading, auth header parsing,
 * ids and content types.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VendorContext } from './types';

/** Thrown by a handler; server.ts renders it with the vendor's errorBody(). */
export class VendorError extends Error {
  constructor(
    readonly status: number,
    /** vendor error code; empty → the vendor's defaultCode(status) */
    readonly code: string,
    message: string,
    /** extra fields merged into the vendor's error body (e.g. missing chunk numbers) */
    readonly extra?: Record<string, unknown>,
    /** extra response headers (e.g. Retry-After) */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'VendorError';
  }
}

/** The client went away while its body was being read: nothing can be answered. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the request');
    this.name = 'ClientGoneError';
  }
}

/** Writes a JSON answer unless one was already started or the socket is gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Default cap of a JSON request body: 1 MiB. */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;
/**
 * Bytes over a cap that are still read (and dropped) before answering 413, so that the
 * client can read the answer; a body announced or sent beyond it gets 413 and a closed
 * connection at once.
 */
export const DRAIN_ALLOWANCE_BYTES = 64 * 1024 * 1024;

export interface ReadJsonOptions {
  /** bytes; default JSON_BODY_MAX_BYTES; over → 413 */
  maxBytes?: number;
  /** an empty body is allowed and gives undefined (default: 400) */
  optional?: boolean;
  /** status for a body whose Content-Type is not JSON (default 415) */
  unsupportedStatus?: number;
}

function isJsonType(ct: string | undefined): boolean {
  if (!ct) return false;
  const t = ct.split(';')[0].trim().toLowerCase();
  return t === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(t);
}

/** True when the request announces a body (Content-Length > 0 or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads the body as JSON, bounded. Throws VendorError 413 (too large), 415 (not JSON
 * typed), 400 (empty when required, or not parseable); ClientGoneError on disconnect.
 * An absent Content-Type is tolerated for an empty body only.
 */
export async function readJson(ctx: VendorContext, o: ReadJsonOptions = {}): Promise<unknown> {
  const max = o.maxBytes ?? JSON_BODY_MAX_BYTES;
  const declared = Number(ctx.req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max + DRAIN_ALLOWANCE_BYTES) {
    throw new VendorError(413, '', `request body of ${declared} bytes is over the ${max}-byte limit`);
  }
  const raw = await readBounded(ctx, max);
  if (raw.length === 0) {
    if (o.optional) return undefined;
    throw new VendorError(400, '', 'a JSON request body is required');
  }
  if (!isJsonType(ctx.req.headers['content-type'])) {
    throw new VendorError(o.unsupportedStatus ?? 415, '', `Content-Type must be application/json, got ${JSON.stringify(ctx.req.headers['content-type'] ?? '')}`);
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new VendorError(400, '', 'request body is not valid JSON');
  }
}

function readBounded(ctx: VendorContext, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const body = ctx.body;
    const done = (err?: Error, value?: Buffer): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      ctx.req.off('close', onClose);
      if (err) reject(err);
      else resolve(value ?? Buffer.alloc(0));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max + DRAIN_ALLOWANCE_BYTES) {
        body.pause();
        done(new VendorError(413, '', `request body is over the ${max}-byte limit`));
        return;
      }
      if (size <= max) parts.push(c);
    };
    const onEnd = (): void => {
      if (size > max) done(new VendorError(413, '', `request body of ${size} bytes is over the ${max}-byte limit`));
      else done(undefined, Buffer.concat(parts));
    };
    const onError = (): void => done(new ClientGoneError());
    const onClose = (): void => { if (!ctx.req.complete) done(new ClientGoneError()); };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    ctx.req.on('close', onClose);
  });
}

/** A plain JSON object (not null, not an array), else undefined. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** A header's single value (first of a repeated header), or undefined. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `n` random bytes as lowercase hex (2n characters). */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** n random decimal digits, first one non-zero. */
export function randomDigits(n: number): string {
  let s = String(1 + (randomBytes(1)[0] % 9));
  while (s.length < n) s += String(randomBytes(1)[0] % 10);
  return s;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

/** Content types by lowercase file extension (no dot); undefined when unknown. */
const TYPES: Record<string, string> = {
  mp3: 'audio/mpeg', mpga: 'audio/mpeg', mpeg: 'audio/mpeg', wav: 'audio/wav', m4a: 'audio/mp4',
  aac: 'audio/aac', ogg: 'audio/ogg', opus: 'audio/opus', flac: 'audio/flac', amr: 'audio/amr',
  webm: 'audio/webm', mp4: 'video/mp4', mov: 'video/quicktime', png: 'image/png', jpg: 'image/jpeg',
  jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf', txt: 'text/plain',
};
export function contentTypeOf(ext: string): string | undefined {
  return TYPES[ext.toLowerCase()];
}

/** Lowercase extension of a file name without the dot ('' when none). */
export function extensionOf(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const i = base.lastIndexOf('.');
  return i > 0 ? base.slice(i + 1).toLowerCase() : '';
}

/** Non-negative safe integer check (JSON numbers only, no strings). */
export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Default error codes by status, for vendors with snake_case codes. */
export function snakeCode(status: number): string {
  switch (status) {
    case 400: return 'invalid_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 408: return 'request_timeout';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 422: return 'unprocessable';
    case 429: return 'rate_limited';
    case 502: return 'bad_gateway';
    case 503: return 'service_unavailable';
    case 504: return 'gateway_timeout';
    default: return status >= 500 ? 'internal_error' : 'error';
  }
}
