/**
 * `uplift/express`: an Express (or plain `node:http`) handler that parses a
 * multipart/form-data request with busboy and streams each file part straight into a vendor
 * upload, without collecting it in memory.
 *
 *   app.post('/upload', uploadToVendor({ client: plaud.client({ token }), limits: { maxFileBytes: 512 * 2 ** 20 } }));
 *   // -> 200 { files: [{ field, name, size, result }] }
 *
 * Sizes: a file's size is taken from a form field sent BEFORE it (`<field>Size`, else `size`,
 * which the next file consumes), else from an `x-file-size` header (first file only). A file
 * of unknown size is passed without one, and uplift spools it to a temporary file.
 * Vendors: Plaud, Kore, Scripe, Heify (any client with `uploadFile(source, options)`): one
 * `uploadFile` per file. Eka (a client with `presign` + `upload`): one presign per request on
 * the first file, then one `upload(ticket, file)` per file on that ticket, because the parts
 * of a form arrive one after the other and `uploadFiles` wants every source at once.
 * Errors answer `{ error: { code, message, ... } }` (messages redacted) with the status of
 * `httpErrorOf`. An error while the body is still arriving answers at once, then discards
 * what the client still sends for at most `lingerMs` / `lingerBytes` before closing.
 * A client that stops sending its body (no byte for `idleTimeoutMs` while the handler is
 * reading) is answered 408 ERR_UPLIFT_TIMEOUT; its vendor uploads are aborted and their
 * `maxConcurrentUploads` slots freed at once.
 */
import Busboy from 'busboy';
import type { IncomingMessage, ServerResponse } from 'http';
import { Transform, type TransformCallback } from 'stream';
import { AbortError, InvalidArgumentError, TimeoutError, TooLargeError, UnsupportedTypeError, UpliftError } from './errors';
import type { Source } from './primitives';
import { redact, redactValue } from './redact';
import { checkInteger, checkSignal, checkString, invalid, isPlainObject } from './validate';

/** A client with `uploadFile(source, options)`: Plaud, Kore, Scripe, Heify, or your own. */
export interface SingleFileClient {
  uploadFile(source: Source, options: never): Promise<unknown>;
}
/** A client with Eka's steps: one presign per transaction, then uploads on its ticket. */
export interface TicketClient {
  presign(options: never): Promise<unknown>;
  upload(ticket: never, sources: never, options?: never): Promise<unknown[]>;
}
export type VendorClient = SingleFileClient | TicketClient;

/** What the handler knows of a file part when it asks for its vendor options. */
export interface FormFileInfo {
  /** form field name */
  field: string;
  /** file name the client sent (base name only) */
  name: string;
  /** content type of the part, as the client sent it */
  mimeType: string;
  /** bytes, when announced before the part (field or header); undefined otherwise */
  size?: number;
  /** non-file fields received so far */
  fields: Record<string, string>;
}

/** Options per file: an object, or a function of the request and the file. */
export type VendorOptionsArg =
  | Record<string, unknown>
  | ((req: IncomingMessage, file: FormFileInfo) => Record<string, unknown> | Promise<Record<string, unknown>>);

export interface UploadLimits {
  /** Largest file, in bytes; default 5 GiB. Larger files answer 413. */
  maxFileBytes?: number;
  /** Most files in one request; default 16. More answer 413. */
  maxFiles?: number;
  /** Content types accepted (exact, or `type/*`), case-insensitive; default any. Others answer 415. */
  allowedContentTypes?: string[];
  /**
   * Vendor uploads this handler runs at once, across all its requests; default 4. Further
   * files wait (their bytes stay unread in the connection) until one ends. The proxy's memory
   * is then about this many streaming windows (Plaud: concurrency + 1 parts of 5 MiB).
   */
  maxConcurrentUploads?: number;
  /** Most non-file fields; default 64. More answer 413. */
  maxFields?: number;
  /** Largest non-file field value, in bytes; default 64 KiB. */
  maxFieldBytes?: number;
  /** After an early error answer: how long to discard the rest of the body before closing, in ms; default 2000. */
  lingerMs?: number;
  /** After an early error answer: most body bytes discarded before closing; default 8 MiB. */
  lingerBytes?: number;
  /**
   * A request whose body sends no byte for this long, in ms, while the handler is reading it
   * (not while the handler itself holds the body back, e.g. waiting for an upload slot) is
   * answered 408 ERR_UPLIFT_TIMEOUT and its vendor uploads are aborted, freeing their
   * `maxConcurrentUploads` slots. Default 30000; 0 turns it off (Node's `requestTimeout` then
   * applies, 300 s by default).
   */
  idleTimeoutMs?: number;
}

export interface UploadToVendorOptions {
  client: VendorClient;
  /**
   * Passed to each vendor call besides the source (e.g. Kore `{ fileContext }`, Heify
   * `{ configurationId }`, Eka `{ txnId, extraData }`, `onProgress`, `concurrency`). For Eka,
   * `txnId` and `extraData` of the first file go to presign. A `signal` here is honoured too.
   */
  vendorOptions?: VendorOptionsArg;
  limits?: UploadLimits;
  /** true (default): answer 200 with `{ files }`. false: set `req.uplift` and call `next()`. Errors are answered by the handler either way. */
  respond?: boolean;
  /**
   * What the 200 answer shows of each vendor result. Default: the result with secrets
   * redacted (presigned URL signatures and credentials become [REDACTED]; ids stay).
   * `req.uplift` (respond: false) always holds the full results.
   */
  publicResult?: (file: UploadedFormFile) => unknown;
}

export interface UploadedFormFile {
  field: string;
  name: string;
  /** bytes read from the request for this file */
  size: number;
  /** what the vendor call resolved */
  result: unknown;
}
export interface UpliftFormResult {
  files: UploadedFormFile[];
  /** non-file fields of the form */
  fields: Record<string, string>;
}

export type UpliftRequestHandler = (req: IncomingMessage & { uplift?: UpliftFormResult }, res: ServerResponse, next: (err?: unknown) => void) => void;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `uploadToVendor({ respond: false })`. */
      uplift?: UpliftFormResult;
    }
  }
}

const MiB = 1024 * 1024;
const DEFAULTS = {
  maxFileBytes: 5 * 1024 * MiB, maxFiles: 16, maxConcurrentUploads: 4, maxFields: 64, maxFieldBytes: 64 * 1024, lingerMs: 2000, lingerBytes: 8 * MiB,
  idleTimeoutMs: 30_000,
};

/** Status 408 (Request Timeout): the client stopped sending its body (`idleTimeoutMs`). */
export const STATUS_IDLE = 408;

/** Status 499: the request was aborted (nginx's "client closed request"). */
export const STATUS_ABORTED = 499;

/** HTTP status and JSON body for an error; messages are redacted, non-uplift errors are not shown. */
export function httpErrorOf(err: unknown): { status: number; body: { error: Record<string, unknown> } } {
  // duck-typed, so errors of another copy of uplift (another bundle) map the same way
  if (!(err instanceof Error) || typeof (err as UpliftError).code !== 'string' || !(err as UpliftError).code.startsWith('ERR_UPLIFT_')) {
    return { status: 500, body: { error: { code: 'ERR_UPLIFT_INTERNAL', message: 'internal error while handling the upload' } } };
  }
  const e = err as UpliftError;
  const error: Record<string, unknown> = { code: e.code, message: redact(e.message) };
  if (typeof e.vendor === 'string') error.vendor = e.vendor;
  if (typeof e.vendorCode === 'string') error.vendorCode = redact(e.vendorCode);
  const limit = (e as { limit?: unknown }).limit;
  if (typeof limit === 'string') error.limit = limit;
  return { status: limit === 'idleTimeoutMs' ? STATUS_IDLE : statusOf(e.code), body: { error } };
}

function statusOf(code: string): number {
  switch (code) {
    case 'ERR_UPLIFT_INVALID_ARGUMENT':
    case 'ERR_UPLIFT_SIZE_MISMATCH':
      return 400;
    case 'ERR_UPLIFT_TOO_LARGE':
      return 413;
    case 'ERR_UPLIFT_UNSUPPORTED_TYPE':
      return 415;
    case 'ERR_UPLIFT_ABORTED':
      return STATUS_ABORTED;
    case 'ERR_UPLIFT_INTERNAL':
    case 'ERR_UPLIFT_ENGINE_CLOSED':
    case 'ERR_UPLIFT_FILE_NOT_FOUND':
    case 'ERR_UPLIFT_NOT_A_FILE':
    case 'ERR_UPLIFT_FILE_NOT_READABLE':
    case 'ERR_UPLIFT_SOURCE_CHANGED':
      return 500;
    default:
      return 502; // vendor, HTTP, network, TLS, timeout, auth, rate limit, integrity, expiry
  }
}

/** A limit error carries `limit` (the option's name) in its JSON. */
function limitError<E extends UpliftError>(err: E, limit: string): E {
  (err as E & { limit: string }).limit = limit;
  return err;
}

/** A counting semaphore whose waits end early when their signal aborts. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  /** Resolves a release function once a slot is free; rejects with an AbortError on abort. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new AbortError(signal.reason));
        return;
      }
      const grant = (): void => { // takes a slot; its release hands the slot to the next waiter
        signal.removeEventListener('abort', onAbort);
        this.used += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.used -= 1;
          this.waiting.shift()?.();
        });
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortError(signal.reason));
      };
      if (this.used < this.size) {
        grant();
        return;
      }
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Counts the bytes of one file part and fails once they pass `maxBytes`. */
class FileGuard extends Transform {
  bytes = 0;
  constructor(private readonly maxBytes: number, private readonly label: string) {
    super({ highWaterMark: 64 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      cb(limitError(new TooLargeError(`${this.label} is larger than the ${this.maxBytes}-byte limit`, { maxSizeBytes: this.maxBytes }), 'maxFileBytes'));
      return;
    }
    cb(null, chunk);
  }
}

interface CheckedLimits extends Required<Omit<UploadLimits, 'allowedContentTypes'>> { allowedContentTypes?: string[] }

function checkLimits(v: unknown): CheckedLimits {
  if (v !== undefined && !isPlainObject(v)) throw invalid('options.limits', 'an object', v);
  const o = (v ?? {}) as Record<string, unknown>;
  const int = (k: keyof typeof DEFAULTS, min: number): number => (o[k] === undefined ? DEFAULTS[k] : checkInteger(`options.limits.${k}`, o[k], { min }));
  const out: CheckedLimits = {
    maxFileBytes: int('maxFileBytes', 0), maxFiles: int('maxFiles', 1), maxConcurrentUploads: int('maxConcurrentUploads', 1), maxFields: int('maxFields', 0),
    maxFieldBytes: int('maxFieldBytes', 1), lingerMs: int('lingerMs', 0), lingerBytes: int('lingerBytes', 0), idleTimeoutMs: int('idleTimeoutMs', 0),
  };
  if (o.allowedContentTypes !== undefined) {
    if (!Array.isArray(o.allowedContentTypes)) throw invalid('options.limits.allowedContentTypes', 'an array of content types', o.allowedContentTypes);
    out.allowedContentTypes = o.allowedContentTypes.map((t, i) => checkString(`options.limits.allowedContentTypes[${i}]`, t, { nonEmpty: true }).toLowerCase());
  }
  return out;
}

function typeAllowed(allowed: string[] | undefined, mimeType: string): boolean {
  if (!allowed) return true;
  const t = mimeType.toLowerCase().split(';')[0].trim();
  return allowed.some((a) => a === t || (a.endsWith('/*') && t.startsWith(a.slice(0, -1))));
}

function parseSize(label: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,16}$/.test(v.trim())) throw invalid(label, 'a size in bytes (a whole number)', v);
  return checkInteger(label, Number(v.trim()), { min: 0 });
}

function isTicketClient(c: VendorClient): c is TicketClient {
  const x = c as unknown as Record<string, unknown>;
  return typeof x.uploadFile !== 'function' && typeof x.presign === 'function' && typeof x.upload === 'function';
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Returns the handler. It answers 400 (bad form or argument), 413 (`maxFileBytes`,
 * `maxFiles`, `maxFields`, or the vendor's cap), 415 (`allowedContentTypes`, a body that is not
 * multipart, or the vendor's types), 499 (aborted), 502 (vendor, HTTP, network, timeout).
 * A client that disconnects before its body ended aborts every vendor upload of the request.
 */
export function uploadToVendor(options: UploadToVendorOptions): UpliftRequestHandler {
  if (!isPlainObject(options)) throw invalid('options', 'an options object { client, vendorOptions?, limits?, respond? }', options);
  const client = options.client as unknown;
  if (client === null || typeof client !== 'object') throw invalid('options.client', 'a vendor client (e.g. plaud.client(...))', client);
  const c = client as VendorClient;
  const ticketFlow = isTicketClient(c);
  if (!ticketFlow && typeof (c as SingleFileClient).uploadFile !== 'function') {
    throw invalid('options.client', 'a vendor client with uploadFile(), or Eka\'s presign() and upload()', client);
  }
  const vo = options.vendorOptions;
  if (vo !== undefined && typeof vo !== 'function' && !isPlainObject(vo)) throw invalid('options.vendorOptions', 'an object or a function (req, file) => object', vo);
  const limits = checkLimits(options.limits);
  const respond = options.respond ?? true;
  if (typeof respond !== 'boolean') throw invalid('options.respond', 'a boolean', respond);
  const publicResult = options.publicResult ?? ((f: UploadedFormFile) => redactValue(f.result));
  if (typeof publicResult !== 'function') throw invalid('options.publicResult', 'a function (file) => value', publicResult);

  const userSignal = isPlainObject(vo) && vo.signal !== undefined ? checkSignal('options.vendorOptions.signal', vo.signal) : undefined;
  const slots = new Slots(limits.maxConcurrentUploads);
  return (req, res, next) => {
    handle(req, res, next, { client: c, ticketFlow, vendorOptions: vo, limits, respond, publicResult, slots, userSignal });
  };
}

interface Config {
  client: VendorClient; ticketFlow: boolean; vendorOptions?: VendorOptionsArg; limits: CheckedLimits; respond: boolean;
  publicResult: (file: UploadedFormFile) => unknown; slots: Slots;
  /** `vendorOptions.signal`, checked once (a signal-like object is followed by a real AbortSignal). */
  userSignal?: AbortSignal;
}

function handle(req: IncomingMessage & { uplift?: UpliftFormResult }, res: ServerResponse, next: (err?: unknown) => void, cfg: Config): void {
  const { limits } = cfg;
  const controller = new AbortController();
  const fields: Record<string, string> = {};
  const pending: Promise<UploadedFormFile>[] = [];
  const guards = new Set<FileGuard>();
  let settled = false;
  let bodyDone = false;
  let nextSize: number | undefined;
  let headerSize: number | undefined;
  let fileCount = 0;
  let ticket: Promise<unknown> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  let bb: ReturnType<typeof Busboy> | undefined;
  const userSignal = cfg.userSignal;
  const cleanup = (): void => {
    if (idleTimer) clearInterval(idleTimer);
    req.off('close', onClose);
    userSignal?.removeEventListener('abort', onUserAbort);
    if (bb) req.unpipe(bb);
  };

  /** Ends the request with an error: aborts every upload, answers, discards the rest. */
  const fail = (err: unknown): void => {
    if (settled) return;
    settled = true;
    for (const g of guards) g.destroy(err instanceof Error ? err : undefined);
    controller.abort(err);
    cleanup();
    bb?.removeAllListeners('file').removeAllListeners('field');
    bb?.on('file', (_n: string, s: NodeJS.ReadableStream) => s.resume()).on('error', () => {});
    // req.destroyed turns true once a body has been read whole: ask the socket instead
    if (req.socket.destroyed || res.headersSent || res.writableEnded) return;
    const { status, body } = httpErrorOf(err);
    if (!bodyDone) linger(req, limits);
    writeJson(res, status, body);
  };

  // The client went away before its body ended: abort the vendor uploads (no answer).
  const onClose = (): void => {
    if (!bodyDone && !req.complete) fail(new AbortError(new Error('the client closed the connection before the upload ended'), 'the client closed the connection before the upload ended'));
  };
  // A signal given in vendorOptions (e.g. server shutdown) aborts the request's uploads too.
  const onUserAbort = (): void => fail(new AbortError(userSignal?.reason));
  req.on('close', onClose);
  if (userSignal?.aborted) {
    onUserAbort();
    return;
  }
  userSignal?.addEventListener('abort', onUserAbort, { once: true });
  idleTimer = limits.idleTimeoutMs > 0 ? watchIdle(req, limits.idleTimeoutMs, () => settled || bodyDone, fail) : undefined;

  try {
    headerSize = parseSize('the x-file-size header', firstHeader(req.headers['x-file-size']));
    if (headerSize !== undefined && headerSize > limits.maxFileBytes) {
      throw limitError(new TooLargeError(`the file is ${headerSize} bytes; the limit is ${limits.maxFileBytes}`, { sizeBytes: headerSize, maxSizeBytes: limits.maxFileBytes }), 'maxFileBytes');
    }
    bb = Busboy({
      headers: req.headers,
      limits: { files: limits.maxFiles, fields: limits.maxFields, fieldSize: limits.maxFieldBytes },
    });
  } catch (e) {
    const err = e instanceof UpliftError ? e : new UnsupportedTypeError('expected a multipart/form-data body', { contentType: String(req.headers['content-type'] ?? '') });
    fail(err);
    return;
  }

  bb.on('field', (name, value, info) => {
    if (settled) return;
    if (info.valueTruncated) {
      fail(limitError(new TooLargeError(`form field ${JSON.stringify(name)} is longer than ${limits.maxFieldBytes} bytes`), 'maxFieldBytes'));
      return;
    }
    fields[name] = value;
    try {
      if (name === 'size') nextSize = parseSize('form field "size"', value);
      else if (name.endsWith('Size')) parseSize(`form field ${JSON.stringify(name)}`, value);
    } catch (e) {
      fail(e);
    }
  });

  bb.on('file', (field, stream, info) => {
    if (settled) return void stream.resume();
    const name = info.filename ?? '';
    if (name === '') return void stream.resume(); // an empty file input
    fileCount += 1;
    let size: number | undefined;
    try {
      size = parseSize(`form field "${field}Size"`, fields[`${field}Size`]) ?? nextSize ?? (fileCount === 1 ? headerSize : undefined);
      nextSize = undefined;
      if (!typeAllowed(limits.allowedContentTypes, info.mimeType)) {
        throw limitError(new UnsupportedTypeError(`file ${JSON.stringify(name)} has content type ${JSON.stringify(info.mimeType)}, which this endpoint does not accept`, { contentType: info.mimeType }), 'allowedContentTypes');
      }
      if (size !== undefined && size > limits.maxFileBytes) {
        throw limitError(new TooLargeError(`file ${JSON.stringify(name)} is ${size} bytes; the limit is ${limits.maxFileBytes}`, { sizeBytes: size, maxSizeBytes: limits.maxFileBytes }), 'maxFileBytes');
      }
    } catch (e) {
      stream.resume();
      fail(e);
      return;
    }
    const guard = new FileGuard(limits.maxFileBytes, `file ${JSON.stringify(name)}`);
    guards.add(guard);
    // The guard's own errors (size limit, malformed body) fail the request. When the vendor
    // side stops reading, it destroys the guard with a stream error of its own: the upload's
    // rejection then carries the reason (e.g. ERR_UPLIFT_SIZE_MISMATCH), so that one is not used.
    guard.on('error', (e) => {
      if (e instanceof UpliftError) fail(e);
    });
    stream.on('error', (e) => guard.destroy(new InvalidArgumentError(`malformed multipart body: ${e.message}`, { field: 'body' })));
    stream.pipe(guard);
    const fileInfo: FormFileInfo = { field, name, mimeType: info.mimeType, fields: { ...fields }, ...(size !== undefined ? { size } : {}) };
    const p = uploadOne(req, cfg, fileInfo, guard, controller.signal, () => {
      ticket ??= presignTicket(req, cfg, fileInfo, controller.signal);
      return ticket;
    }).finally(() => guards.delete(guard));
    p.catch(fail);
    pending.push(p);
  });

  bb.on('filesLimit', () => fail(limitError(new TooLargeError(`the form holds more than ${limits.maxFiles} files`), 'maxFiles')));
  bb.on('fieldsLimit', () => fail(limitError(new TooLargeError(`the form holds more than ${limits.maxFields} fields`), 'maxFields')));
  bb.on('error', (e: unknown) => fail(new InvalidArgumentError(`malformed multipart body: ${e instanceof Error ? e.message : String(e)}`, { field: 'body' })));
  bb.on('close', () => {
    bodyDone = true;
    if (settled) return;
    if (fileCount === 0) {
      fail(new InvalidArgumentError('the form holds no file', { field: 'body', received: 'no file part' }));
      return;
    }
    Promise.all(pending).then((files) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (!cfg.respond) {
        req.uplift = { files, fields };
        return void next();
      }
      let shown: UploadedFormFile[];
      try {
        shown = files.map((f) => ({ ...f, result: cfg.publicResult(f) }));
      } catch (e) {
        settled = false;
        fail(e);
        return;
      }
      writeJson(res, 200, { files: shown });
    }, fail);
  });
  req.pipe(bb);
}

/**
 * Fails the request with a 408 TimeoutError once its socket has read no byte for `idleMs`
 * while the request was flowing (a request paused by backpressure, e.g. waiting for an
 * upload slot, is not idle). Checks every idleMs / 4 (10 ms to 1 s). Returns the timer.
 */
function watchIdle(req: IncomingMessage, idleMs: number, done: () => boolean, fail: (err: unknown) => void): NodeJS.Timeout {
  let lastBytes = req.socket.bytesRead;
  let lastActive = Date.now();
  const timer = setInterval(() => {
    if (done() || req.complete) {
      clearInterval(timer);
      return;
    }
    const bytes = req.socket.bytesRead;
    if (bytes !== lastBytes || req.readableFlowing === false) {
      lastBytes = bytes;
      lastActive = Date.now();
      return;
    }
    if (Date.now() - lastActive < idleMs) return;
    clearInterval(timer);
    fail(limitError(new TimeoutError(`the client sent no body bytes for ${idleMs} ms; the upload was aborted (limits.idleTimeoutMs)`, { kind: 'stall', timeoutMs: idleMs, retryable: false }), 'idleTimeoutMs'));
  }, Math.max(10, Math.min(1000, Math.floor(idleMs / 4))));
  timer.unref();
  return timer;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function optionsFor(req: IncomingMessage, cfg: Config, file: FormFileInfo): Promise<Record<string, unknown>> {
  const vo = cfg.vendorOptions;
  const o = typeof vo === 'function' ? await vo(req, file) : vo ?? {};
  if (!isPlainObject(o)) throw invalid('vendorOptions(req, file)', 'an options object', o);
  return o;
}

async function uploadOne(
  req: IncomingMessage, cfg: Config, file: FormFileInfo, guard: FileGuard, signal: AbortSignal, ticketOf: () => Promise<unknown>,
): Promise<UploadedFormFile> {
  const generic = file.mimeType === '' || file.mimeType === 'application/octet-stream';
  const source = { stream: guard, name: file.name, ...(file.size !== undefined ? { size: file.size } : {}), ...(generic ? {} : { contentType: file.mimeType }) };
  const vendorOpts = await optionsFor(req, cfg, file);
  const common: Record<string, unknown> = { ...vendorOpts, signal };
  if (cfg.ticketFlow) {
    delete common.txnId;
    delete common.extraData;
  }
  let result: unknown;
  const release = await cfg.slots.acquire(signal);
  // an aborted request (client gone, idle, error) gives its slot back at once, not when the
  // vendor upload has finished winding down
  signal.addEventListener('abort', release, { once: true });
  try {
    if (cfg.ticketFlow) {
      const t = (await ticketOf()) as { txnId?: string; folderPath?: string };
      const c = cfg.client as unknown as { upload(t: unknown, s: unknown, o: unknown): Promise<unknown[]> };
      const [one] = await c.upload(t, { source, name: file.name, ...(generic ? {} : { contentType: file.mimeType }) }, common);
      result = { ...(one as object), txnId: t.txnId, folderPath: t.folderPath };
    } else {
      const c = cfg.client as unknown as { uploadFile(s: unknown, o: unknown): Promise<unknown> };
      result = await c.uploadFile(source, common);
    }
  } finally {
    signal.removeEventListener('abort', release);
    release();
  }
  return { field: file.field, name: file.name, size: guard.bytes, result };
}

async function presignTicket(req: IncomingMessage, cfg: Config, file: FormFileInfo, signal: AbortSignal): Promise<unknown> {
  const o = await optionsFor(req, cfg, file);
  const c = cfg.client as unknown as { presign(o: unknown): Promise<unknown> };
  return c.presign({ txnId: o.txnId, ...(o.extraData !== undefined ? { extraData: o.extraData } : {}), signal });
}

/**
 * After an early answer: discard what the client still sends (so it can read the answer
 * instead of meeting a reset) for at most `lingerMs` and `lingerBytes`, then close. No
 * `Connection: close` header: Node would close at once; a body drained in time leaves the
 * connection reusable.
 */
function linger(req: IncomingMessage, limits: CheckedLimits): void {
  let seen = 0;
  const socket = req.socket;
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    if (!socket.destroyed) socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > limits.lingerBytes) stop();
  };
  const timer = setTimeout(stop, limits.lingerMs);
  timer.unref();
  req.on('data', onData);
  req.once('end', () => {
    clearTimeout(timer);
    req.off('data', onData);
  });
  req.resume();
}
