/**
 * Plaud emulator (vendor-docs/plaud-file-upload-api.md): regions `/plaud` (US) and
 * `/plaud/jp` (Japan), each with its own bucket and its own files.
 *   POST .../open/partner/files/upload/generate-presigned-urls {filesize, filetype}
 *     → S3 multipart upload + one presigned UploadPart URL per ChunkSize (5242880) bytes
 *   POST .../open/partner/files/upload/complete-upload
 *     {file_id, upload_id, part_list:[{PartNumber, ETag}], filetype, file_md5}
 *     → CompleteMultipartUpload, MD5 check, presigned GET valid 24 h
 *
 * Decisions the doc leaves open:
 * - Error body `{ "code": <CODE>, "message": <text>, ...extra }` with the codes of Plaud's
 *   error guide: INVALID_PARAMS (400), FILE_SIZE_INVALID, FILE_TYPE_INVALID,
 *   FILE_MD5_NOT_MATCH (400, `expected_md5`/`actual_md5` added), FILE_UPLOAD_FAILED (400,
 *   `s3_code` = the S3 error code of CompleteMultipartUpload, e.g. InvalidPart),
 *   FILE_NOT_FOUND (404), UNAUTHORIZED (401), NOT_FOUND, UNSUPPORTED_MEDIA_TYPE,
 *   PAYLOAD_TOO_LARGE, TOO_MANY_REQUESTS, INTERNAL_ERROR.
 * - filesize: integer 1..5 GiB; filetype: one of PLAUD_FILE_TYPES (case-insensitive).
 * - file_md5 must be 32 lowercase hex digits; on mismatch the object is deleted.
 * - Part URLs live 1 hour; UploadId is the S3 upload id; FileId `file_<24 hex>`; key
 *   `partner/<FileId>.<filetype>`. A repeated complete of a finished file answers again.
 * - One token (credentials.plaud.token) is valid in both regions.
 * - Reading (sandbox `readings.plaud`): 'default' = ChunkSize 5242880, FileMd5 lowercase;
 *   'upper-md5' = FileMd5 answered in upper-case hex; 'chunk-8mib' = ChunkSize 8388608;
 *   'chunk-5mb' = ChunkSize 5000000 (then S3 refuses to complete a file of more than one
 *   part: FILE_UPLOAD_FAILED, s3_code EntityTooSmall).
 * Ops for faults/log: 'presign', 'complete' (path tells the region).
 */
import { asObject, bearerToken, contentTypeOf, isCount, randomHex, readJson, sendJson, VendorError } from './common';
import { S3Error } from '../s3/client';
import type { VendorContext, VendorDeps, VendorEmulator, VendorRoute } from './types';

/** Bytes per part, as the server announces it (default reading). */
export const PLAUD_CHUNK_SIZE = 5242880;
/** ChunkSize by reading. */
const CHUNK_BY_READING: Readonly<Record<string, number>> = { 'chunk-8mib': 8388608, 'chunk-5mb': 5000000 };
export const PLAUD_MAX_FILE_BYTES = 5 * 1024 * 1024 * 1024;
/** Lifetime of the part URLs: 1 hour; of the DownloadUrl: 24 hours. */
export const PLAUD_PART_URL_TTL_SEC = 60 * 60;
export const PLAUD_DOWNLOAD_TTL_SEC = 24 * 60 * 60;
export const PLAUD_FILE_TYPES = ['mp3', 'wav', 'm4a', 'opus', 'ogg', 'aac', 'flac', 'amr', 'mp4', 'webm'];

type Region = 'us' | 'jp';

interface PlaudFile {
  fileId: string;
  uploadId: string;
  bucket: string;
  key: string;
  filetype: string;
  filesize: number;
  /** lowercase hex md5 once completed */
  md5?: string;
}

const PRESIGN = '/open/partner/files/upload/generate-presigned-urls';
const COMPLETE = '/open/partner/files/upload/complete-upload';

function fileType(v: unknown): string {
  if (typeof v !== 'string' || !PLAUD_FILE_TYPES.includes(v.toLowerCase())) {
    throw new VendorError(400, 'FILE_TYPE_INVALID', `filetype must be one of ${PLAUD_FILE_TYPES.join(', ')}`);
  }
  return v.toLowerCase();
}

export function createPlaud(deps: VendorDeps, token: string): VendorEmulator {
  const files: Record<Region, Map<string, PlaudFile>> = { us: new Map(), jp: new Map() };
  const chunkSize = CHUNK_BY_READING[deps.readings.plaud] ?? PLAUD_CHUNK_SIZE;
  const answerMd5 = (md5: string): string => (deps.readings.plaud === 'upper-md5' ? md5.toUpperCase() : md5);

  function auth(ctx: VendorContext): void {
    const t = bearerToken(ctx.req);
    if (!t || t !== token) throw new VendorError(401, 'UNAUTHORIZED', t ? 'invalid or expired user token' : 'missing Authorization: Bearer <user token>');
  }

  async function body(ctx: VendorContext): Promise<Record<string, unknown>> {
    const b = asObject(await readJson(ctx));
    if (!b) throw new VendorError(400, 'INVALID_PARAMS', 'request body must be a JSON object');
    return b;
  }

  function presign(region: Region): VendorRoute {
    return {
      op: 'presign',
      async handle(ctx) {
        auth(ctx);
        const b = await body(ctx);
        const size = b.filesize;
        if (!isCount(size) || size < 1 || size > PLAUD_MAX_FILE_BYTES) {
          throw new VendorError(400, 'FILE_SIZE_INVALID', `filesize must be an integer from 1 to ${PLAUD_MAX_FILE_BYTES}`);
        }
        const filetype = fileType(b.filetype);
        const fileId = `file_${randomHex(12)}`;
        const bucket = region === 'us' ? deps.buckets.plaudUs : deps.buckets.plaudJp;
        const key = `partner/${fileId}.${filetype}`;
        const uploadId = await deps.s3.createMultipartUpload(bucket, key, { contentType: contentTypeOf(filetype) });
        const count = Math.max(1, Math.ceil(size / chunkSize));
        const parts: { PartNumber: number; PresignedUrl: string }[] = [];
        for (let n = 1; n <= count; n++) {
          parts.push({ PartNumber: n, PresignedUrl: await deps.s3.presignUploadPart(bucket, key, uploadId, n, PLAUD_PART_URL_TTL_SEC) });
        }
        files[region].set(fileId, { fileId, uploadId, bucket, key, filetype, filesize: size });
        sendJson(ctx.res, 200, { FileId: fileId, UploadId: uploadId, ChunkSize: chunkSize, Parts: parts });
      },
    };
  }

  function partList(v: unknown): { partNumber: number; etag: string }[] {
    if (!Array.isArray(v) || v.length === 0) throw new VendorError(400, 'INVALID_PARAMS', 'part_list must be a non-empty array');
    return v.map((p, i) => {
      const o = asObject(p);
      if (!o || !isCount(o.PartNumber) || o.PartNumber < 1 || o.PartNumber > 10000 || typeof o.ETag !== 'string' || o.ETag === '') {
        throw new VendorError(400, 'INVALID_PARAMS', `part_list[${i}] must be {PartNumber: 1..10000, ETag: non-empty string}`);
      }
      return { partNumber: o.PartNumber, etag: o.ETag };
    });
  }

  function complete(region: Region): VendorRoute {
    return {
      op: 'complete',
      async handle(ctx) {
        auth(ctx);
        const b = await body(ctx);
        for (const f of ['file_id', 'upload_id', 'filetype', 'file_md5']) {
          if (typeof b[f] !== 'string' || b[f] === '') throw new VendorError(400, 'INVALID_PARAMS', `${f} is required (string)`);
        }
        const parts = partList(b.part_list);
        const md5 = b.file_md5 as string;
        if (!/^[0-9a-f]{32}$/.test(md5)) throw new VendorError(400, 'INVALID_PARAMS', 'file_md5 must be the lowercase hex MD5 of the whole file (32 characters)');
        const file = files[region].get(b.file_id as string);
        if (!file) throw new VendorError(404, 'FILE_NOT_FOUND', `file ${String(b.file_id)} not found in this region`);
        if (b.upload_id !== file.uploadId) throw new VendorError(400, 'INVALID_PARAMS', 'upload_id does not belong to file_id');
        if (fileType(b.filetype) !== file.filetype) throw new VendorError(400, 'FILE_TYPE_INVALID', `filetype does not match the presigned one (${file.filetype})`);

        if (file.md5 === undefined) {
          try {
            await deps.s3.completeMultipartUpload(file.bucket, file.key, file.uploadId, parts);
          } catch (e) {
            if (!(e instanceof S3Error)) throw e;
            throw new VendorError(400, 'FILE_UPLOAD_FAILED', `completing the multipart upload failed: ${e.code}`, { s3_code: e.code });
          }
          const actual = await deps.s3.getObjectMd5(file.bucket, file.key);
          if (actual !== md5) {
            files[region].delete(file.fileId);
            await deps.s3.deleteObject(file.bucket, file.key);
            throw new VendorError(400, 'FILE_MD5_NOT_MATCH', 'file_md5 does not match the uploaded bytes; the file was discarded, upload it again', { expected_md5: md5, actual_md5: actual });
          }
          file.md5 = actual;
        } else if (file.md5 !== md5) {
          throw new VendorError(400, 'FILE_MD5_NOT_MATCH', 'file_md5 does not match the uploaded bytes', { expected_md5: md5, actual_md5: file.md5 });
        }
        const downloadUrl = await deps.s3.presignGet(file.bucket, file.key, PLAUD_DOWNLOAD_TTL_SEC);
        sendJson(ctx.res, 200, { FileId: file.fileId, FileType: file.filetype, DownloadUrl: downloadUrl, FileMd5: answerMd5(file.md5) });
      },
    };
  }

  const routes: Record<Region, { presign: VendorRoute; complete: VendorRoute }> = {
    us: { presign: presign('us'), complete: complete('us') },
    jp: { presign: presign('jp'), complete: complete('jp') },
  };

  return {
    name: 'plaud',
    match(method, subPath) {
      const jp = subPath.startsWith('/jp/');
      const region: Region = jp ? 'jp' : 'us';
      const rest = jp ? subPath.slice(3) : subPath;
      const route = rest === PRESIGN ? routes[region].presign : rest === COMPLETE ? routes[region].complete : undefined;
      if (!route) return undefined;
      return method === 'POST' ? route : { allow: ['POST'] };
    },
    errorBody(_status, code, message, extra) {
      return { code, message, ...extra };
    },
    defaultCode(status) {
      switch (status) {
        case 400: return 'INVALID_PARAMS';
        case 401: return 'UNAUTHORIZED';
        case 403: return 'FORBIDDEN';
        case 404: return 'NOT_FOUND';
        case 405: return 'METHOD_NOT_ALLOWED';
        case 413: return 'PAYLOAD_TOO_LARGE';
        case 415: return 'UNSUPPORTED_MEDIA_TYPE';
        case 429: return 'TOO_MANY_REQUESTS';
        case 503: return 'SERVICE_UNAVAILABLE';
        default: return status >= 500 ? 'INTERNAL_ERROR' : 'ERROR';
      }
    },
    async close() { files.us.clear(); files.jp.clear(); },
  };
}
