/**
 * multipart/form-data parsing for the emulators (busboy): text fields are kept in memory
 * (bounded), the one file field is streamed to a temp file, never held whole in memory.
 * The caller owns the temp file once parseForm resolves; on rejection it is removed.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ClientGoneError, VendorError } from './common';
import type { VendorContext } from './types';

export interface FormFile {
  /** temp file holding the bytes (owned by the caller) */
  path: string;
  /** bytes written */
  size: number;
  filename: string;
  mimeType: string;
  /** true when the file went over maxFileBytes (the rest was discarded) */
  truncated: boolean;
}

export interface ParsedForm {
  fields: Record<string, string>;
  file?: FormFile;
}

export interface ParseFormOptions {
  /** where the file field goes */
  tmpPath: string;
  /** bytes; above → `truncated` */
  maxFileBytes: number;
  /** name of the file field; default 'file' */
  fileField?: string;
  /** bytes of the whole body beyond which parsing stops with 413 (default: no bound) */
  maxBodyBytes?: number;
}

/** True when the request's Content-Type is multipart/form-data. */
export function isMultipart(ctx: VendorContext): boolean {
  return /^multipart\/form-data\s*(;|$)/i.test(ctx.req.headers['content-type'] ?? '');
}

/**
 * Parses the form. Throws VendorError 415 (not multipart), 400 (malformed or truncated
 * form, more than one file); ClientGoneError when the client goes away.
 */
export async function parseForm(ctx: VendorContext, o: ParseFormOptions): Promise<ParsedForm> {
  if (!isMultipart(ctx)) {
    throw new VendorError(415, '', `Content-Type must be multipart/form-data, got ${JSON.stringify(ctx.req.headers['content-type'] ?? '')}`);
  }
  const fileField = o.fileField ?? 'file';
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: ctx.req.headers,
      // busboy flags a file that reaches its limit, so the limit is one byte past ours
      limits: { fileSize: o.maxFileBytes + 1, files: 4, fields: 32, fieldSize: 64 * 1024, parts: 40 },
    });
  } catch {
    throw new VendorError(400, '', 'malformed multipart/form-data header (boundary missing?)');
  }

  const fields: Record<string, string> = {};
  let file: FormFile | undefined;
  let writing: Promise<void> | undefined;
  let problem: VendorError | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    const onClose = (): void => { if (!ctx.req.complete) reject(new ClientGoneError()); };
    ctx.req.on('close', onClose);
    if (o.maxBodyBytes !== undefined) {
      const bound = o.maxBodyBytes;
      let seen = 0;
      const count = (c: Buffer): void => {
        seen += c.length;
        if (seen > bound) {
          ctx.body.off('data', count);
          reject(new VendorError(413, '', `request body is over ${bound} bytes`));
        }
      };
      ctx.body.on('data', count);
    }
    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('file', (name, stream, info) => {
      if (name !== fileField || file) {
        problem ??= new VendorError(400, '', name === fileField ? `only one "${fileField}" part is allowed` : `unexpected file part "${name}"`);
        stream.resume();
        return;
      }
      const f: FormFile = { path: o.tmpPath, size: 0, filename: info.filename ?? '', mimeType: info.mimeType, truncated: false };
      file = f;
      const out = createWriteStream(o.tmpPath);
      stream.on('limit', () => { f.truncated = true; });
      writing = pipeline(stream, out).then(() => { f.size = out.bytesWritten; });
      writing.catch(() => undefined);
    });
    bb.on('filesLimit', () => { problem ??= new VendorError(400, '', 'too many file parts'); });
    bb.on('fieldsLimit', () => { problem ??= new VendorError(400, '', 'too many form fields'); });
    bb.on('partsLimit', () => { problem ??= new VendorError(400, '', 'too many form parts'); });
    bb.on('error', (e: unknown) => {
      reject(new VendorError(400, '', `malformed multipart/form-data body: ${e instanceof Error ? e.message : 'parse error'}`));
    });
    bb.on('close', () => { ctx.req.off('close', onClose); resolve(); });
  });

  ctx.body.pipe(bb);
  try {
    await parsed;
    if (writing) await writing;
    if (problem) throw problem;
    return { fields, file };
  } catch (e) {
    ctx.body.unpipe(bb);
    bb.destroy(e instanceof Error ? e : undefined);
    if (writing) await writing.catch(() => undefined);
    await rm(o.tmpPath, { force: true });
    throw e;
  }
}
