/**
 * Kore.ai emulator (vendor-docs/kore-file-upload-api.md), auth `x-api-key`:
 *   POST /kore/api/public/files                          mode 1, multipart `file` + `fileContext`
 *   POST /kore/api/public/files/session/start            JSON {fileContext,totalChunks,fileExtension,fileName,fileSize}
 *   POST /kore/api/public/files/session/{id}             multipart `file` + `chunkNumber` (0-based)
 *   POST /kore/api/public/files/session/{id}/complete    merges chunks 0..totalChunks-1 in order
 *   GET  /kore/api/getMediaStream/orgFiles/{name}?e&s…   the answered `url`: 302 to a presigned GET
 * Stored files go to the S3 target (bucket `kore-files`, key `orgFiles/f-<uuid>.<ext>`), so
 * they show in the sandbox's objects(). Chunks stream to this emulator's temp folder and
 * are removed after the merge, on a failed upload, and at close().
 *
 * Decisions the doc leaves open:
 * - "25 MB" by reading (sandbox `readings.kore`): 'mib' = 26,214,400 bytes (default),
 *   'mb' = 25,000,000 bytes; mode 1 file cap and per-chunk cap; over → 413.
 * - Session: totalChunks 1..10000, fileSize 1..5 GiB, fileExtension from the doc's list
 *   (a leading dot is tolerated), lives 1 hour (also ends at faults.expireUrlsNow()).
 * - chunkNumber is answered as a string; a chunk sent again replaces the earlier one.
 * - Error body `{ "errors": [ { "msg": <text>, "code": <CODE>, ...extra } ] }`; codes:
 *   UNAUTHORIZED (401), INVALID_REQUEST, UNSUPPORTED_FILE_TYPE, INVALID_CHUNK_NUMBER,
 *   MISSING_CHUNKS (+ `missingChunks`), FILE_SIZE_MISMATCH, SESSION_EXPIRED (400),
 *   SESSION_NOT_FOUND (404), SESSION_BUSY (409), FILE_TOO_LARGE (413),
 *   UNSUPPORTED_MEDIA_TYPE (415, body not multipart/JSON).
 * Ops for faults/log: 'upload', 'sessionStart', 'chunk', 'complete', 'media'.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { asObject, contentTypeOf, DRAIN_ALLOWANCE_BYTES, extensionOf, header, isCount, randomDigits, randomHex, readJson, sendJson, VendorError } from './common';
import { parseForm } from './multipart';
import type { VendorContext, VendorDeps, VendorEmulator, VendorRoute } from './types';

const MiB = 1024 * 1024;
/** Mode 1 file cap and per-chunk cap under the default reading ('mib'): 25 MiB. */
export const KORE_MAX_FILE_BYTES = 25 * MiB;
export const KORE_MAX_CHUNK_BYTES = 25 * MiB;
/** Mode 1 file cap and per-chunk cap by reading. */
export const KORE_CAP_BY_READING: Readonly<Record<'mib' | 'mb', number>> = { mib: 25 * MiB, mb: 25_000_000 };
export const KORE_MAX_SESSION_BYTES = 5 * 1024 * MiB;
export const KORE_MAX_CHUNKS = 10000;
/** Session lifetime: 1 hour. */
export const KORE_SESSION_TTL_MS = 60 * 60 * 1000;
/** Life of the answered media `url`: 7 days. */
const MEDIA_TTL_SEC = 7 * 24 * 3600;
/** Room for the multipart framing around a capped file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
export const KORE_EXTENSIONS = ['m4a', 'mp3', 'webm', 'mp4', 'mpga', 'wav', 'mpeg', 'png', 'jpeg', 'jpg', 'webp', 'gif'];

interface Session {
  id: string;
  fileContext: string;
  totalChunks: number;
  fileExtension: string;
  fileName: string;
  fileSize: number;
  createdAt: number;
  expiresAt: number;
  dir: string;
  /** chunk number → bytes stored at `<dir>/chunk-<n>` */
  chunks: Map<number, number>;
  completing: boolean;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

export function createKore(deps: VendorDeps, apiKey: string): VendorEmulator {
  const root = join(deps.tmpDir, 'kore');
  const sessions = new Map<string, Session>();
  const maxFileBytes = KORE_CAP_BY_READING[deps.readings.kore];
  const maxChunkBytes = maxFileBytes;
  /** signs media URLs (`s` parameter) */
  const mediaSecret = randomHex(32);
  let tmpSeq = 0;

  function auth(ctx: VendorContext): void {
    const k = header(ctx.req, 'x-api-key');
    if (!k || k !== apiKey) throw new VendorError(401, 'UNAUTHORIZED', k ? 'invalid API key' : 'missing x-api-key header');
  }

  /** bytes of a whole form body carrying a file of `cap` bytes, past which the body is not drained */
  const bodyBound = (cap: number): number => cap + FORM_OVERHEAD_BYTES + DRAIN_ALLOWANCE_BYTES;

  function checkDeclaredSize(ctx: VendorContext, cap: number): void {
    const declared = Number(ctx.req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > bodyBound(cap)) {
      throw new VendorError(413, 'FILE_TOO_LARGE', `request body of ${declared} bytes is over the ${cap}-byte file limit`);
    }
  }

  async function tmpFile(): Promise<string> {
    await mkdir(root, { recursive: true });
    return join(root, `part-${process.pid}-${++tmpSeq}-${randomHex(4)}`);
  }

  function sign(name: string, e: number): string {
    return createHmac('sha256', mediaSecret).update(`${name}\n${e}`).digest('base64url');
  }

  function mediaUrl(name: string, fileName: string): string {
    const e = Math.floor(Date.now() / 1000) + MEDIA_TTL_SEC;
    const q = new URLSearchParams({ e: String(e), n: randomDigits(10), del: 'false', s: sign(name, e), fileName });
    return `${deps.origin()}/kore/api/getMediaStream/orgFiles/${name}?${q.toString()}`;
  }

  /** Stores `size` bytes from `body` as a new org file; gives the answer { url, fileId }. */
  async function store(body: Readable, size: number, ext: string, fileName: string, fileContext: string): Promise<{ url: string; fileId: string }> {
    const fileId = randomHex(12);
    const name = `f-${randomUUID()}.${ext}`;
    await deps.s3.putObject(deps.buckets.kore, `orgFiles/${name}`, body, size, {
      contentType: contentTypeOf(ext) ?? 'application/octet-stream',
      metadata: { 'file-id': fileId, 'file-context': encodeURIComponent(fileContext) },
    });
    return { url: mediaUrl(name, fileName), fileId };
  }

  const upload: VendorRoute = {
    op: 'upload',
    async handle(ctx) {
      auth(ctx);
      checkDeclaredSize(ctx, maxFileBytes);
      const form = await parseForm(ctx, { tmpPath: await tmpFile(), maxFileBytes: maxFileBytes, maxBodyBytes: bodyBound(maxFileBytes) });
      const file = form.file;
      try {
        if (!file) throw new VendorError(400, 'INVALID_REQUEST', 'form field "file" is required');
        if (file.truncated) throw new VendorError(413, 'FILE_TOO_LARGE', `file is over the ${maxFileBytes}-byte limit; use the chunked session upload`);
        const fileContext = form.fields.fileContext;
        if (!fileContext) throw new VendorError(400, 'INVALID_REQUEST', 'form field "fileContext" is required');
        const ext = extensionOf(file.filename);
        if (!KORE_EXTENSIONS.includes(ext)) throw new VendorError(400, 'UNSUPPORTED_FILE_TYPE', `file extension ${JSON.stringify(ext)} is not supported; supported: ${KORE_EXTENSIONS.join(', ')}`);
        const answer = await store(createReadStream(file.path), file.size, ext, file.filename, fileContext);
        await rm(file.path, { force: true });
        sendJson(ctx.res, 200, answer);
      } finally {
        if (file) await rm(file.path, { force: true });
      }
    },
  };

  const sessionStart: VendorRoute = {
    op: 'sessionStart',
    async handle(ctx) {
      auth(ctx);
      const b = asObject(await readJson(ctx));
      if (!b) throw new VendorError(400, 'INVALID_REQUEST', 'request body must be a JSON object');
      const bad = (field: string, want: string): never => { throw new VendorError(400, 'INVALID_REQUEST', `${field} ${want}`); };
      if (typeof b.fileContext !== 'string' || b.fileContext === '') bad('fileContext', 'is required (non-empty string)');
      if (!isCount(b.totalChunks) || b.totalChunks < 1 || b.totalChunks > KORE_MAX_CHUNKS) bad('totalChunks', `must be an integer from 1 to ${KORE_MAX_CHUNKS}`);
      if (typeof b.fileName !== 'string' || b.fileName === '' || b.fileName.length > 255) bad('fileName', 'is required (1-255 characters)');
      if (!isCount(b.fileSize) || b.fileSize < 1 || b.fileSize > KORE_MAX_SESSION_BYTES) bad('fileSize', `must be an integer from 1 to ${KORE_MAX_SESSION_BYTES}`);
      if (typeof b.fileExtension !== 'string' || b.fileExtension === '') bad('fileExtension', 'is required (string)');
      const ext = (b.fileExtension as string).replace(/^\./, '').toLowerCase();
      if (!KORE_EXTENSIONS.includes(ext)) throw new VendorError(400, 'UNSUPPORTED_FILE_TYPE', `fileExtension ${JSON.stringify(b.fileExtension)} is not supported; supported: ${KORE_EXTENSIONS.join(', ')}`);
      if ((b.totalChunks as number) > (b.fileSize as number)) bad('totalChunks', 'cannot exceed fileSize');
      const id = randomUUID();
      const now = Date.now();
      const s: Session = {
        id, fileContext: b.fileContext as string, totalChunks: b.totalChunks as number, fileExtension: ext,
        fileName: b.fileName as string, fileSize: b.fileSize as number, createdAt: now,
        expiresAt: now + KORE_SESSION_TTL_MS, dir: join(root, `session-${id}`), chunks: new Map(), completing: false,
      };
      await mkdir(s.dir, { recursive: true });
      sessions.set(id, s);
      sendJson(ctx.res, 200, { sessionId: id, expirationDate: new Date(s.expiresAt).toISOString() });
    },
  };

  function liveSession(id: string): Session {
    const s = sessions.get(id);
    if (!s) throw new VendorError(404, 'SESSION_NOT_FOUND', `upload session ${id} not found`);
    if (Date.now() > s.expiresAt || s.createdAt <= deps.faults.expiredBefore()) {
      sessions.delete(id);
      void rm(s.dir, { recursive: true, force: true });
      throw new VendorError(400, 'SESSION_EXPIRED', `upload session ${id} has expired; start a new one`);
    }
    if (s.completing) throw new VendorError(409, 'SESSION_BUSY', `upload session ${id} is being completed`);
    return s;
  }

  function chunk(id: string): VendorRoute {
    return {
      op: 'chunk',
      async handle(ctx) {
        auth(ctx);
        const s = liveSession(id);
        checkDeclaredSize(ctx, maxChunkBytes);
        const form = await parseForm(ctx, { tmpPath: await tmpFile(), maxFileBytes: maxChunkBytes, maxBodyBytes: bodyBound(maxChunkBytes) });
        const file = form.file;
        try {
          if (!file) throw new VendorError(400, 'INVALID_REQUEST', 'form field "file" is required');
          if (file.truncated) throw new VendorError(413, 'FILE_TOO_LARGE', `chunk is over the ${maxChunkBytes}-byte limit`);
          if (file.size === 0) throw new VendorError(400, 'INVALID_REQUEST', 'chunk is empty');
          const raw = form.fields.chunkNumber;
          if (raw === undefined) throw new VendorError(400, 'INVALID_CHUNK_NUMBER', 'form field "chunkNumber" is required');
          const n = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
          if (!(n >= 0 && n < s.totalChunks)) throw new VendorError(400, 'INVALID_CHUNK_NUMBER', `chunkNumber must be an integer from 0 to ${s.totalChunks - 1}`);
          if (sessions.get(id) !== s || s.completing) throw new VendorError(409, 'SESSION_BUSY', `upload session ${id} is being completed`);
          await rename(file.path, join(s.dir, `chunk-${n}`));
          s.chunks.set(n, file.size);
          sendJson(ctx.res, 200, { chunkNumber: String(n), sessionId: id });
        } finally {
          if (file) await rm(file.path, { force: true });
        }
      },
    };
  }

  function complete(id: string): VendorRoute {
    return {
      op: 'complete',
      async handle(ctx) {
        auth(ctx);
        const s = liveSession(id);
        const missing: number[] = [];
        for (let n = 0; n < s.totalChunks; n++) if (!s.chunks.has(n)) missing.push(n);
        if (missing.length > 0) {
          const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? `, … (${missing.length} in all)` : '');
          throw new VendorError(400, 'MISSING_CHUNKS', `missing chunk numbers: ${shown}`, { missingChunks: missing });
        }
        const total = [...s.chunks.values()].reduce((a, b) => a + b, 0);
        if (total !== s.fileSize) throw new VendorError(400, 'FILE_SIZE_MISMATCH', `chunks hold ${total} bytes, fileSize says ${s.fileSize}`);
        s.completing = true;
        try {
          for (let n = 0; n < s.totalChunks; n++) {
            if ((await stat(join(s.dir, `chunk-${n}`))).size !== s.chunks.get(n)) throw new Error('chunk changed on disk');
          }
          const dir = s.dir;
          const count = s.totalChunks;
          const merged = Readable.from((async function* () {
            for (let n = 0; n < count; n++) yield* createReadStream(join(dir, `chunk-${n}`));
          })(), { objectMode: false });
          const answer = await store(merged, s.fileSize, s.fileExtension, s.fileName, s.fileContext);
          sessions.delete(id);
          await rm(s.dir, { recursive: true, force: true });
          sendJson(ctx.res, 200, answer);
        } finally {
          s.completing = false;
        }
      },
    };
  }

  const media = (name: string): VendorRoute => ({
    op: 'media',
    async handle(ctx) {
      const e = Number(ctx.url.searchParams.get('e'));
      const given = Buffer.from(ctx.url.searchParams.get('s') ?? '');
      const want = Buffer.from(sign(name, e));
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw new VendorError(403, 'FORBIDDEN', 'invalid media link');
      if (!(e * 1000 > Date.now())) throw new VendorError(403, 'FORBIDDEN', 'media link has expired');
      const location = await deps.s3.presignGet(deps.buckets.kore, `orgFiles/${name}`, 3600);
      ctx.res.writeHead(302, { location, 'content-length': '0' });
      ctx.res.end();
    },
  });

  return {
    name: 'kore',
    match(method, subPath) {
      const post = (r: VendorRoute): VendorRoute | { allow: string[] } => (method === 'POST' ? r : { allow: ['POST'] });
      if (subPath === '/api/public/files') return post(upload);
      if (subPath === '/api/public/files/session/start') return post(sessionStart);
      let m = /^\/api\/public\/files\/session\/([^/]+)\/complete$/.exec(subPath);
      if (m) return post(complete(safeDecode(m[1])));
      m = /^\/api\/public\/files\/session\/([^/]+)$/.exec(subPath);
      if (m) return post(chunk(safeDecode(m[1])));
      m = /^\/api\/getMediaStream\/orgFiles\/(f-[0-9a-f-]{36}\.[a-z0-9]{1,5})$/.exec(subPath);
      if (m) return method === 'GET' ? media(m[1]) : { allow: ['GET'] };
      return undefined;
    },
    errorBody(_status, code, message, extra) {
      return { errors: [{ msg: message, code, ...extra }] };
    },
    defaultCode(status) {
      switch (status) {
        case 400: return 'INVALID_REQUEST';
        case 401: return 'UNAUTHORIZED';
        case 403: return 'FORBIDDEN';
        case 404: return 'NOT_FOUND';
        case 405: return 'METHOD_NOT_ALLOWED';
        case 413: return 'FILE_TOO_LARGE';
        case 415: return 'UNSUPPORTED_MEDIA_TYPE';
        case 429: return 'TOO_MANY_REQUESTS';
        default: return status >= 500 ? 'INTERNAL_ERROR' : 'ERROR';
      }
    },
    async close() {
      sessions.clear();
      await rm(root, { recursive: true, force: true });
    },
  };
}
