/**
 * Eka Care EkaScribe v2 emulator: `POST /eka/v1/file-upload?txn_id=<id>&action=ekascribe-v2`
 * answers an S3 presigned POST (form upload, 204 on success) for the transaction's folder
 * (vendor-docs/eka-ekascribe-v2-file-upload.md and the README's extra facts).
 *
 * Decisions the doc leaves open:
 * - Error body, after Eka's published error syntax:
 *   `{ "error": [ { "error_code": <code>, "message": <text> } ] }`; codes: unauthorized (401),
 *   missing_txn_id, invalid_txn_id, invalid_action, invalid_extra_data, invalid_request
 *   (400), unsupported_media_type (415), payload_too_large (413), not_found (404).
 * - txn_id: 1-128 of [A-Za-z0-9._:-]. The body is optional; when present it is a JSON
 *   object whose optional `extraData` is an object of string/number/boolean values; each
 *   entry becomes an `x-amz-meta-<name>` field (name lower-cased, [a-z0-9_-], 2 KiB total).
 * - folderPath `EC_<15 digits>/<txn_id>/<yyyymmdd_hhmmss UTC>/`; the EC_ number is per
 *   sandbox (fixtures.eka.workspaceId). The same txn_id presigned again keeps its folderPath.
 * - Policy: `starts-with $key <folderPath>`, `content-length-range 0 5368709120`, each meta
 *   field eq; lifetime 1 hour. Bucket `eka-uploads`.
 * - Reading (sandbox `readings.eka`): 'txn-id' (default) answers txn_id; 'no-txn-id'
 *   answers without it (the doc's samples are not the API reference).
 * Ops for faults/log: 'presign'.
 */
import { asObject, bearerToken, randomDigits, readJson, sendJson, snakeCode, VendorError } from './common';
import type { VendorDeps, VendorEmulator, VendorRoute } from './types';

/** Lifetime of the POST policy: 1 hour. */
export const EKA_POLICY_TTL_SEC = 60 * 60;
/** Largest file a form POST may carry: 5 GiB. */
export const EKA_MAX_FILE_BYTES = 5368709120;
/** Total bytes of the x-amz-meta-* names and values, as S3 caps user metadata. */
const META_MAX_BYTES = 2048;
const TXN_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const META_NAME_RE = /^[a-z0-9_-]{1,128}$/;

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function metaFields(body: Record<string, unknown> | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!body || body.extraData === undefined || body.extraData === null) return fields;
  const extra = asObject(body.extraData);
  if (!extra) throw new VendorError(400, 'invalid_extra_data', 'extraData must be a JSON object');
  let bytes = 0;
  for (const [k, v] of Object.entries(extra)) {
    const name = k.toLowerCase();
    if (!META_NAME_RE.test(name)) throw new VendorError(400, 'invalid_extra_data', `extraData key ${JSON.stringify(k)} must be 1-128 of [A-Za-z0-9_-]`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new VendorError(400, 'invalid_extra_data', `extraData.${k} must be a string, number or boolean`);
    }
    const value = String(v);
    if (/[^\x20-\x7E]/.test(value)) throw new VendorError(400, 'invalid_extra_data', `extraData.${k} must be printable ASCII`);
    bytes += name.length + Buffer.byteLength(value);
    fields[`x-amz-meta-${name}`] = value;
  }
  if (bytes > META_MAX_BYTES) throw new VendorError(400, 'invalid_extra_data', `extraData is over the ${META_MAX_BYTES}-byte metadata limit`);
  return fields;
}

export function createEka(deps: VendorDeps, token: string, workspaceId: string): VendorEmulator {
  /** txn_id → folderPath, for the life of the sandbox */
  const folders = new Map<string, string>();

  const presign: VendorRoute = {
    op: 'presign',
    async handle(ctx) {
      const t = bearerToken(ctx.req);
      if (!t || t !== token) throw new VendorError(401, 'unauthorized', t ? 'invalid or expired access token' : 'missing Authorization: Bearer <access token>');
      const action = ctx.url.searchParams.get('action');
      const txn = ctx.url.searchParams.get('txn_id');
      if (!txn) throw new VendorError(400, 'missing_txn_id', 'query parameter txn_id is required');
      if (!TXN_RE.test(txn)) throw new VendorError(400, 'invalid_txn_id', 'txn_id must be 1-128 of [A-Za-z0-9._:-]');
      if (action !== 'ekascribe-v2') throw new VendorError(400, 'invalid_action', `action must be "ekascribe-v2", got ${JSON.stringify(action ?? '')}`);
      const raw = await readJson(ctx, { optional: true });
      if (raw !== undefined && !asObject(raw)) throw new VendorError(400, 'invalid_request', 'request body must be a JSON object');
      const fields = metaFields(asObject(raw));

      let folderPath = folders.get(txn);
      if (!folderPath) {
        folderPath = `${workspaceId}/${txn}/${stamp(new Date())}/`;
        folders.set(txn, folderPath);
      }
      const post = await deps.s3.presignPost(deps.buckets.eka, {
        keyPrefix: folderPath,
        expiresInSec: EKA_POLICY_TTL_SEC,
        fields,
        contentLengthRange: [0, EKA_MAX_FILE_BYTES],
      });
      const answer: Record<string, unknown> = { uploadData: { url: post.url, fields: post.fields }, folderPath };
      if (deps.readings.eka === 'txn-id') answer.txn_id = txn;
      sendJson(ctx.res, 200, answer);
    },
  };

  return {
    name: 'eka',
    match(method, subPath) {
      if (subPath !== '/v1/file-upload') return undefined;
      return method === 'POST' ? presign : { allow: ['POST'] };
    },
    errorBody(_status, code, message, extra) {
      return { error: [{ error_code: code, message, ...extra }] };
    },
    defaultCode: snakeCode,
    async close() { folders.clear(); },
  };
}

/** A workspace id like Eka's: `EC_` and 15 digits. */
export function ekaWorkspaceId(): string {
  return `EC_${randomDigits(15)}`;
}
