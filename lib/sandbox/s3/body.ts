/**
 * Request bodies of the strict S3 peer: streamed to a file (never held whole) with MD5
 * and SHA-256 computed on the way and a size cap checked per chunk; small XML bodies
 * read into memory up to a limit.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { ClientGone, S3Fail, type Ctx } from './context';

export interface Received {
  /** bytes */
  size: number;
  md5Hex: string;
  md5B64: string;
  /** only when asked for (a signed payload hash to check) */
  sha256Hex?: string;
}

/**
 * Streams `src` into `file`. Resolves { tooLarge: true } (file removed, rest of the body
 * unread) as soon as more than `capBytes` arrive. Rejects ClientGone when the body stops
 * before its end. `onBytes` sees every chunk's length; SHA-256 only when `withSha256`.
 */
export function receiveToFile(src: Readable, file: string, capBytes: number, onBytes: (n: number) => void, withSha256 = false): Promise<Received | { tooLarge: true }> {
  return new Promise((resolve, reject) => {
    const ws = createWriteStream(file);
    const md5 = createHash('md5');
    const sha = withSha256 ? createHash('sha256') : undefined;
    let size = 0;
    let settled = false;
    const stop = (): void => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('close', onClose);
      src.off('error', onClose);
    };
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      stop();
      ws.destroy();
      fsp.rm(file, { force: true }).catch(() => undefined).finally(() => reject(e));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      onBytes(c.length);
      if (size > capBytes) {
        settled = true;
        stop();
        src.pause();
        ws.destroy();
        fsp.rm(file, { force: true }).catch(() => undefined).finally(() => resolve({ tooLarge: true }));
        return;
      }
      md5.update(c);
      sha?.update(c);
      if (!ws.write(c)) {
        src.pause();
        ws.once('drain', () => { if (!settled) src.resume(); });
      }
    };
    const onEnd = (): void => {
      stop();
      ws.end(() => {
        if (settled) return;
        settled = true;
        const raw = md5.digest();
        resolve({ size, md5Hex: raw.toString('hex'), md5B64: raw.toString('base64'), sha256Hex: sha?.digest('hex') });
      });
    };
    const onClose = (): void => fail(new ClientGone('request body ended early'));
    ws.on('error', (e) => fail(e));
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('close', onClose);
    src.on('error', onClose);
    src.resume();
  });
}

/** Reads the whole (small) body into memory; over `limitBytes` → S3Fail(code); checks a signed SHA-256. */
export async function readSmallBody(ctx: Ctx, limitBytes: number, code = 'MaxMessageLengthExceeded'): Promise<Buffer> {
  const body = await readAll(ctx, limitBytes, code);
  if (ctx.signedSha256 !== undefined && createHash('sha256').update(body).digest('hex') !== ctx.signedSha256) {
    throw new S3Fail('XAmzContentSHA256Mismatch');
  }
  return body;
}

function readAll(ctx: Ctx, limitBytes: number, code: string): Promise<Buffer> {
  ctx.startBody();
  const { req } = ctx;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => { req.off('data', onData); req.off('end', onEnd); req.off('close', onClose); req.off('error', onClose); };
    const onData = (c: Buffer): void => {
      size += c.length;
      ctx.bytesIn += c.length;
      if (size > limitBytes) { done(); req.pause(); reject(new S3Fail(code)); return; }
      chunks.push(c);
    };
    const onEnd = (): void => { done(); resolve(Buffer.concat(chunks)); };
    const onClose = (): void => { done(); reject(new ClientGone('request body ended early')); };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    req.resume();
  });
}

/** Validates a Content-MD5 header (base64 of 16 bytes) → the base64 value, or undefined when absent. */
export function contentMd5(ctx: Ctx): string | undefined {
  const v = ctx.header('content-md5');
  if (v === undefined) return undefined;
  if (Buffer.from(v, 'base64').length !== 16 || !/^[A-Za-z0-9+/]+=*$/.test(v)) throw new S3Fail('InvalidDigest');
  return v;
}

/**
 * Declared body size (bytes) for a PUT: Content-Length, or undefined for a chunked body.
 * No length and no chunked encoding → 411 MissingContentLength; above `capBytes` → EntityTooLarge.
 */
export function declaredSize(ctx: Ctx, capBytes: number): number | undefined {
  const cl = ctx.header('content-length');
  if (cl === undefined) {
    if (/chunked/i.test(ctx.header('transfer-encoding') ?? '')) return undefined;
    throw new S3Fail('MissingContentLength');
  }
  const n = Number(cl);
  if (!Number.isSafeInteger(n) || n < 0) throw new S3Fail('InvalidArgument', 'Invalid Content-Length');
  if (n > capBytes) throw new S3Fail('EntityTooLarge');
  return n;
}
