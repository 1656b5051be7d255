// Turns a checked source into what the engine reads: a file path, a buffer, or a native
// stream, with its size. A Readable whose size is known is piped into a native stream with
// a bounded in-memory window (push returns false when full: the Readable is paused until the
// engine drains it). A Readable of unknown size, or one given to a flow that cannot stream,
// is spooled to a temporary file first; the file is removed when the upload settles,
// whatever the outcome, and also when the process exits first (an 'exit' hook), when the
// Worker that spools is terminated (the addon removes the folders of its environment at
// teardown), and, for a process killed outright, by the next process that spools (folders
// named uplift-spool-<pid>-* of pids that no longer run are swept once per process).
// Every failure of the source is an UpliftError: a stream error is a SourceError
// (ERR_UPLIFT_FILE_NOT_READABLE) whose `cause` is the stream's error.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { AbortError, InternalError, InvalidArgumentError, SourceError, TooLargeError, UpliftError, withCallSite } from './errors';
import { native, type NativeSource } from './native';
import { registerSecret, unregisterSecret } from './redact';
import { statSource, type NormalizedSource } from './validate';

export interface ResolvedSource {
  native: NativeSource;
  size: number;
  /** File name for forms and content-type inference, when one is known. */
  name?: string;
  contentType?: string;
  /** Source fingerprint for resume journals. */
  mtimeMs?: number;
  /** Removes temporary files; always safe to call, more than once. */
  release(): Promise<void>;
  /** For a natively streamed source: the error the stream emitted, if it failed. */
  streamError?: () => unknown;
  /** For a natively streamed source: bytes buffered now, and the most ever buffered. */
  streamStats?: () => { bufferedBytes: number; highWaterBytes: number };
}

/** Default cap on what a stream of unknown length may spool to disk: 8 GiB. */
export const DEFAULT_SPOOL_LIMIT_BYTES = 8 * 1024 ** 3;
/** Default in-memory window of a streamed source: 8 MiB (multipart flows raise it to concurrency + 1 parts). */
export const DEFAULT_STREAM_BUFFER_BYTES = 8 * 1024 * 1024;

export interface ResolveOptions {
  spoolLimitBytes?: number;
  signal?: AbortSignal;
  /** The flow can read a native stream (false: spool even when the size is known). */
  streaming?: boolean;
  streamBufferBytes?: number;
  /** Finds the size of a URL source given without one (the call's engine and job options). */
  probeUrl?: (url: string, headers: [string, string][]) => Promise<UrlProbe>;
}

/** What a URL source's size probe found (one `Range: bytes=0-0` GET, done natively). */
export interface UrlProbe { size: number; etag?: string; lastModified?: string }

const noop = async (): Promise<void> => {};

/** Prefix of spool folders in os.tmpdir(); the pid of the spooling process follows. */
export const SPOOL_PREFIX = 'uplift-spool-';

// Spool folders still in use; removed synchronously if the process exits first.
const liveSpools = new Set<string>();
let exitHookInstalled = false;
let swept = false;

interface SpoolTracking { trackSpoolDir?(dir: string): void; untrackSpoolDir?(dir: string): void }

function addonTracking(): SpoolTracking {
  try {
    return native() as unknown as SpoolTracking;
  } catch {
    return {};
  }
}

function trackSpool(dir: string): void {
  liveSpools.add(dir);
  addonTracking().trackSpoolDir?.(dir); // removed at environment teardown (a terminated Worker)
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of liveSpools) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        /* exiting anyway */
      }
    }
  });
}

function untrackSpool(dir: string): void {
  liveSpools.delete(dir);
  addonTracking().untrackSpoolDir?.(dir);
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes spool folders left by processes that no longer run (killed with SIGKILL, a crash); once per process. */
function sweepStaleSpools(tmp: string): void {
  if (swept) return;
  swept = true;
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^uplift-spool-(\d+)-/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidRuns(pid)) continue;
    try {
      fs.rmSync(path.join(tmp, n), { recursive: true, force: true });
    } catch {
      /* another user's folder, or already gone */
    }
  }
}

export async function resolveSource(src: NormalizedSource, opts: ResolveOptions = {}): Promise<ResolvedSource> {
  if (src.kind === 'path') {
    const st = await statSource(src.path);
    return { native: { kind: 'path', path: src.path }, size: st.size, name: path.basename(src.path), mtimeMs: st.mtimeMs, release: noop };
  }
  if (src.kind === 'buffer') {
    return { native: { kind: 'buffer', buffer: src.buffer }, size: src.buffer.byteLength, release: noop };
  }
  if (src.kind === 'url') return resolveUrl(src, opts);
  if (src.size !== undefined && opts.streaming) return pipeToNative(src, src.size, opts.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES);
  return spool(src, opts.spoolLimitBytes ?? DEFAULT_SPOOL_LIMIT_BYTES, opts.signal);
}

/** File name of a URL source: the last segment of its path, decoded (the query is never used). */
export function urlFileName(url: string): string | undefined {
  try {
    const seg = new URL(url).pathname.split('/').filter((x) => x !== '').pop();
    if (seg === undefined) return undefined;
    const name = decodeURIComponent(seg);
    return /^[^\r\n\0"/\\]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A URL source: nothing is read here. Its header values are registered as secrets (they may
 * carry credentials) and, without `size`, the engine probes it with one ranged GET.
 */
async function resolveUrl(src: Extract<NormalizedSource, { kind: 'url' }>, opts: ResolveOptions): Promise<ResolvedSource> {
  const headers = Object.entries(src.headers);
  for (const [, value] of headers) registerSecret(value);
  try {
    return await probeAndDescribe(src, headers, opts);
  } catch (e) {
    for (const [, value] of headers) unregisterSecret(value);
    throw e;
  }
}

async function probeAndDescribe(
  src: Extract<NormalizedSource, { kind: 'url' }>,
  headers: [string, string][],
  opts: ResolveOptions,
): Promise<ResolvedSource> {
  let size = src.size;
  let etag: string | undefined;
  let lastModified: string | undefined;
  if (size === undefined) {
    if (!opts.probeUrl) throw new InternalError('a URL source without size reached a flow that cannot probe it; pass source.size');
    if (opts.signal?.aborted) throw new AbortError(opts.signal.reason);
    const p = await opts.probeUrl(src.url, headers);
    size = p.size;
    etag = p.etag || undefined;
    lastModified = p.lastModified || undefined;
  }
  const native: NativeSource = { kind: 'url', url: src.url, headers, size };
  if (etag !== undefined) native.etag = etag;
  if (lastModified !== undefined) native.lastModified = lastModified;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    for (const [, value] of headers) unregisterSecret(value);
  };
  const out: ResolvedSource = { native, size, release };
  const name = src.name ?? urlFileName(src.url);
  if (name !== undefined) out.name = name;
  if (src.contentType !== undefined) out.contentType = src.contentType;
  return out;
}

interface NativeStreamHandle {
  push(chunk: Uint8Array): boolean;
  end(): void;
  fail(message: string): void;
  stats(): { bufferedBytes: number; highWaterBytes: number };
}

/** Pipes a Readable into a native stream with backpressure. */
function pipeToNative(src: Extract<NormalizedSource, { kind: 'stream' }>, size: number, bound: number): ResolvedSource {
  const addon = native() as unknown as { Stream: new (size: number, bound: number, onDrain: () => void) => NativeStreamHandle };
  const stream = src.stream;
  let settled = false;
  const handle = new addon.Stream(size, bound, () => {
    if (!settled) stream.resume();
  });
  let failure: unknown;
  const onData = (chunk: unknown): void => {
    if (settled) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!(bytes instanceof Uint8Array)) {
      // an objectMode stream of objects: fail the upload (never throw in a listener)
      settled = true;
      failure = notBytes(chunk);
      handle.fail((failure as Error).message);
      stream.destroy();
      return;
    }
    if (!handle.push(bytes)) stream.pause();
  };
  const onEnd = (): void => {
    settled = true;
    handle.end();
  };
  const onError = (err: Error): void => {
    if (settled) return;
    settled = true;
    failure = err;
    handle.fail(err?.message ?? String(err));
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('error', onError);
  const release = async (): Promise<void> => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    if (!settled) {
      settled = true;
      handle.fail('the upload ended before the stream did');
      stream.destroy();
    }
  };
  return { native: { kind: 'stream', handle } as unknown as NativeSource, size, name: src.name, contentType: src.contentType, release, streamStats: () => handle.stats(), streamError: () => failure };
}

function describeChunk(chunk: unknown): string {
  if (chunk === null) return 'null';
  if (typeof chunk !== 'object') return `a ${typeof chunk}`;
  const ctor = (chunk as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}

/**
 * The error of a natively streamed source that failed, from the engine's SourceError (which
 * only has the message): a chunk that is not bytes gives the InvalidArgumentError found in JS
 * (with `err`'s stack); a stream error becomes `err`'s `cause`. Other errors are returned as is.
 */
export function withStreamCause(err: unknown, sources: readonly ResolvedSource[]): unknown {
  if (!(err instanceof SourceError) || err.code !== 'ERR_UPLIFT_FILE_NOT_READABLE' || err.cause !== undefined) return err;
  for (const s of sources) {
    const f = s.streamError?.();
    if (f === undefined) continue;
    if (f instanceof InvalidArgumentError) return withCallSite(f, err);
    Object.defineProperty(err, 'cause', { value: f, writable: true, configurable: true, enumerable: false });
    break;
  }
  return err;
}

/** The error for a stream chunk that is not bytes (an objectMode stream of objects). */
function notBytes(chunk: unknown): InvalidArgumentError {
  const what = describeChunk(chunk);
  return new InvalidArgumentError(
    `Expected a stream of bytes (Buffer, Uint8Array or string chunks) for source but the stream gave ${what}; ` +
      'an objectMode Readable must push Buffers or strings',
    { field: 'source', received: `a stream that gave ${what}` },
  );
}

/** The SourceError of a stream that failed, with the stream's error as `cause`. */
export function streamFailure(err: unknown): SourceError {
  const msg = err instanceof Error ? err.message : String(err);
  return new SourceError('ERR_UPLIFT_FILE_NOT_READABLE', `the source stream failed: ${msg}`, { cause: err });
}

async function spool(
  src: Extract<NormalizedSource, { kind: 'stream' }>,
  limit: number,
  signal?: AbortSignal,
): Promise<ResolvedSource> {
  const tmp = os.tmpdir();
  sweepStaleSpools(tmp);
  let dir: string;
  try {
    // synchronous: the folder is tracked before anything can exit or terminate the thread
    dir = fs.mkdtempSync(path.join(tmp, `${SPOOL_PREFIX}${process.pid}-`));
  } catch (e) {
    throw new InternalError(`cannot create a spool folder in ${tmp} for a stream of unknown size (${(e as Error)?.message ?? String(e)}); set TMPDIR to a writable folder or pass the stream's size`, { cause: e });
  }
  trackSpool(dir);
  const file = path.join(dir, 'body');
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await fs.promises.rm(dir, { recursive: true, force: true });
    untrackSpool(dir);
  };
  const cap = src.size !== undefined ? Math.min(limit, src.size) : limit;
  let seen = 0;
  // which side failed first: pipeline then destroys the other side with the same error
  let origin: 'source' | 'spool' | undefined;
  const onSourceError = (): void => {
    origin ??= 'source';
  };
  src.stream.once('error', onSourceError);
  try {
    const counter = async function* (source: AsyncIterable<unknown>) {
      for await (const chunk of source) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (!(b instanceof Uint8Array)) throw notBytes(chunk);
        seen += b.byteLength;
        if (seen > cap) {
          if (src.size !== undefined && seen > src.size) {
            throw new SourceError('ERR_UPLIFT_SIZE_MISMATCH', `the stream gave more than the ${src.size} bytes its size announced`);
          }
          throw new TooLargeError(`the stream is larger than the spool limit of ${limit} bytes; raise spoolLimitBytes or pass size`, { maxSizeBytes: limit });
        }
        yield b;
      }
    };
    const out = fs.createWriteStream(file, { mode: 0o600 });
    out.once('error', () => {
      origin ??= 'spool';
    });
    await pipeline(src.stream, counter, out, { signal });
    if (src.size !== undefined && seen !== src.size) {
      throw new SourceError('ERR_UPLIFT_SIZE_MISMATCH', `the stream gave ${seen} bytes but its size said ${src.size}`);
    }
  } catch (err) {
    await release();
    const e = err as { name?: string; code?: string };
    if (signal?.aborted && (e?.name === 'AbortError' || e?.code === 'ABORT_ERR')) throw new AbortError(signal.reason);
    if (err instanceof UpliftError) throw err;
    if (origin === 'spool') {
      throw new InternalError(`cannot write the spool file in ${tmp} (${(err as Error)?.message ?? String(err)}); free space, set TMPDIR or pass the stream's size`, { cause: err });
    }
    throw streamFailure(err);
  } finally {
    src.stream.off('error', onSourceError);
  }
  return { native: { kind: 'path', path: file }, size: seen, name: src.name, contentType: src.contentType, release };
}
