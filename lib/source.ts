// Turns a checked source into what the engine reads: a file path or a buffer, with its size.
// A Readable is spooled to a temporary file first (the flows need the size up front); the
// file is removed when the upload settles, whatever the outcome.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { SourceError, TooLargeError } from './errors';
import type { NativeSource } from './native';
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
}

/** Default cap on what a stream of unknown length may spool to disk: 8 GiB. */
export const DEFAULT_SPOOL_LIMIT_BYTES = 8 * 1024 ** 3;

const noop = async (): Promise<void> => {};

export async function resolveSource(
  src: NormalizedSource,
  opts: { spoolLimitBytes?: number; signal?: AbortSignal } = {},
): Promise<ResolvedSource> {
  if (src.kind === 'path') {
    const st = await statSource(src.path);
    return { native: { kind: 'path', path: src.path }, size: st.size, name: path.basename(src.path), mtimeMs: st.mtimeMs, release: noop };
  }
  if (src.kind === 'buffer') {
    return { native: { kind: 'buffer', buffer: src.buffer }, size: src.buffer.byteLength, release: noop };
  }
  return spool(src, opts.spoolLimitBytes ?? DEFAULT_SPOOL_LIMIT_BYTES, opts.signal);
}

async function spool(
  src: Extract<NormalizedSource, { kind: 'stream' }>,
  limit: number,
  signal?: AbortSignal,
): Promise<ResolvedSource> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'uplift-spool-'));
  const file = path.join(dir, 'body');
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await fs.promises.rm(dir, { recursive: true, force: true });
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
    throw err;
  }
  return { native: { kind: 'path', path: file }, size: seen, name: src.name, contentType: src.contentType, release };
}
