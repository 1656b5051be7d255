// Turns a checked source into what the engine reads: a file path, a buffer, or a native
// stream, with its size. A Readable whose size is known is piped into a native stream with
// a bounded in-memory window (push returns false when full: the Readable is paused until the
// engine drains it). A Readable of unknown size, or one given to a flow that cannot stream,
// is spooled to a temporary file first; the file is removed when the upload settles,
// whatever the outcome.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { AbortError, SourceError, TooLargeError } from './errors';
import { native, type NativeSource } from './native';
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
}

const noop = async (): Promise<void> => {};

// Spool folders still in use; removed synchronously if the process exits first.
const liveSpools = new Set<string>();
let exitHookInstalled = false;
function trackSpool(dir: string): void {
  liveSpools.add(dir);
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

export async function resolveSource(src: NormalizedSource, opts: ResolveOptions = {}): Promise<ResolvedSource> {
  if (src.kind === 'path') {
    const st = await statSource(src.path);
    return { native: { kind: 'path', path: src.path }, size: st.size, name: path.basename(src.path), mtimeMs: st.mtimeMs, release: noop };
  }
  if (src.kind === 'buffer') {
    return { native: { kind: 'buffer', buffer: src.buffer }, size: src.buffer.byteLength, release: noop };
  }
  if (src.size !== undefined && opts.streaming) return pipeToNative(src, src.size, opts.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES);
  return spool(src, opts.spoolLimitBytes ?? DEFAULT_SPOOL_LIMIT_BYTES, opts.signal);
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
  const onData = (chunk: Buffer | string): void => {
    if (!handle.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) stream.pause();
  };
  const onEnd = (): void => {
    settled = true;
    handle.end();
  };
  const onError = (err: Error): void => {
    settled = true;
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
  return { native: { kind: 'stream', handle } as unknown as NativeSource, size, name: src.name, contentType: src.contentType, release, streamStats: () => handle.stats() };
}

async function spool(
  src: Extract<NormalizedSource, { kind: 'stream' }>,
  limit: number,
  signal?: AbortSignal,
): Promise<ResolvedSource> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'uplift-spool-'));
  trackSpool(dir);
  const file = path.join(dir, 'body');
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await fs.promises.rm(dir, { recursive: true, force: true });
    liveSpools.delete(dir);
  };
  const cap = src.size !== undefined ? Math.min(limit, src.size) : limit;
  let seen = 0;
  try {
    const counter = async function* (source: AsyncIterable<Buffer | string>) {
      for await (const chunk of source) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        seen += b.length;
        if (seen > cap) {
          if (src.size !== undefined && seen > src.size) {
            throw new SourceError('ERR_UPLIFT_SIZE_MISMATCH', `the stream gave more than the ${src.size} bytes its size announced`);
          }
          throw new TooLargeError(`the stream is larger than the spool limit of ${limit} bytes; raise spoolLimitBytes or pass size`, { maxSizeBytes: limit });
        }
        yield b;
      }
    };
    await pipeline(src.stream, counter, fs.createWriteStream(file), { signal });
    if (src.size !== undefined && seen !== src.size) {
      throw new SourceError('ERR_UPLIFT_SIZE_MISMATCH', `the stream gave ${seen} bytes but its size said ${src.size}`);
    }
  } catch (err) {
    await release();
    const e = err as { name?: string; code?: string };
    if (signal?.aborted && (e?.name === 'AbortError' || e?.code === 'ABORT_ERR')) throw new AbortError(signal.reason);
    throw err;
  }
  return { native: { kind: 'path', path: file }, size: seen, name: src.name, contentType: src.contentType, release };
}
